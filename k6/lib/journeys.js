// The realistic mix several scenarios share (browse-and-order, spike, soak): a buyer browses (search, details,
// cursor pages), and one visit in `orderEvery` orders a popular product, pays, and one order in `cancelEvery` is
// cancelled (a paid order: refunded). Checks and custom metrics make the SLOs: errors by status, `oversold`.
import { check, group, sleep } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'
import { Counter } from 'k6/metrics'
import { BASE_URL, buyerOf, paramsOf, pay, placeOrder } from './marketplace.js'

/** a response whose stock went below zero, or a 5xx: must stay 0 */
export const oversold = new Counter('oversold')
export const serverErrors = new Counter('server_errors')

/** SLO thresholds per endpoint tag, shared by the scenarios that run the journey. */
export const JOURNEY_THRESHOLDS = {
  oversold: ['count==0'],
  server_errors: ['count==0'],
  http_req_failed: ['rate<0.01'],
  'http_req_duration{name:search}': ['p(95)<200', 'p(99)<500'],
  'http_req_duration{name:detail}': ['p(95)<50', 'p(99)<150'],
  'http_req_duration{name:cursor}': ['p(95)<200', 'p(99)<500'],
  'http_req_duration{name:order}': ['p(95)<300', 'p(99)<800'],
  'http_req_duration{name:payment}': ['p(95)<500', 'p(99)<1500'],
}

/** @type {string | undefined} the VU's token, made on its first iteration */
let token

/** @param {import('k6/http').RefinedResponse<'text'>} res */
function watch(res) {
  if (res.status >= 500) serverErrors.add(1)
  const stock = res.status === 200 || res.status === 201 ? res.json('stockQuantity') : undefined
  if (typeof stock === 'number' && stock < 0) oversold.add(1)
  return res
}

/** @param {{ orderEvery?: number, cancelEvery?: number, pauseSeconds?: number }} [options] */
export function browseAndOrder(options = {}) {
  const { orderEvery = 4, cancelEvery = 3, pauseSeconds = 0.5 } = options
  const n = exec.vu.idInTest
  token ??= buyerOf(n)
  const iteration = exec.vu.iterationInScenario
  group('browse', () => {
    const search = watch(
      http.get(`${BASE_URL}/api/v1/products?keyword=a&size=20`, paramsOf(n, 'search', token)),
    )
    check(search, { 'search 200': (r) => r.status === 200 })
    for (const id of [1 + (iteration % 8), 1 + ((iteration + 3) % 8)]) {
      const detail = watch(http.get(`${BASE_URL}/api/v1/products/${id}`, paramsOf(n, 'detail', token)))
      check(detail, { 'detail 200': (r) => r.status === 200 })
    }
    const page = watch(http.get(`${BASE_URL}/api/v1/products/cursor?limit=20`, paramsOf(n, 'cursor', token)))
    check(page, { 'cursor 200': (r) => r.status === 200 })
  })
  if (iteration % orderEvery === 0) {
    group('order', () => {
      const order = watch(placeOrder(n, token ?? '', 1 + (iteration % 5)))
      check(order, { 'order 201 or 409 out of stock': (r) => r.status === 201 || r.status === 409 })
      if (order.status !== 201) return
      const id = /** @type {number} */ (order.json('id'))
      const payment = watch(pay(n, token ?? '', id))
      check(payment, { 'payment 200': (r) => r.status === 200 })
      if (iteration % (orderEvery * cancelEvery) === 0) {
        const cancel = watch(
          http.post(`${BASE_URL}/api/v1/orders/${id}/cancel`, null, paramsOf(n, 'cancel', token)),
        )
        check(cancel, { 'cancel 200': (r) => r.status === 200 })
      }
    })
  }
  sleep(pauseSeconds)
}
