// The realistic mix several scenarios share (browse-and-order, spike, soak): a buyer browses (search, details,
// cursor pages), and one visit in `orderEvery` orders a popular product, pays, and one order in `cancelEvery` is
// cancelled (a paid order: refunded). Checks and custom metrics make the SLOs: errors by status, `oversold`.
import { check, group, sleep } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'
import { Counter } from 'k6/metrics'
import {
  BASE_URL,
  buyerOf,
  DEMO_PRODUCTS,
  paramsOf,
  pay,
  placeOrder,
  productWithStock,
} from './marketplace.js'
import { SLO } from './slo.js'

export { SLO }

/** a response whose stock went below zero, or a 5xx: must stay 0 */
export const oversold = new Counter('oversold')
export const serverErrors = new Counter('server_errors')

/**
 * `http_req_duration{name:<tag>}` thresholds from a map of tag → { p95, p99 } in ms.
 * @param {Record<string, { p95?: number, p99?: number }>} limits
 * @returns {Record<string, string[]>}
 */
export function latencyThresholds(limits) {
  /** @type {Record<string, string[]>} */
  const thresholds = {}
  for (const [tag, { p95, p99 }] of Object.entries(limits)) {
    const rules = []
    if (p95 !== undefined) rules.push(`p(95)<${p95}`)
    if (p99 !== undefined) rules.push(`p(99)<${p99}`)
    thresholds[`http_req_duration{name:${tag}}`] = rules
  }
  return thresholds
}

/** SLO thresholds per endpoint tag, shared by the scenarios that run the journey. */
export const JOURNEY_THRESHOLDS = {
  oversold: ['count==0'],
  server_errors: ['count==0'],
  http_req_failed: [`rate<${SLO.errorRate}`],
  ...latencyThresholds(SLO.journey),
}

/**
 * What setup() prepares: the accounts of users 1..count (signing up hashes a password: not the load being
 * measured) and products of this run with stock enough for any run, so a run never finds them sold out by an
 * earlier one.
 * @param {number} count
 * @returns {JourneyData}
 */
export function accountsFor(count) {
  const tokens = []
  for (let n = 1; n <= count; n++) tokens.push(buyerOf(n))
  const productIds = []
  for (let i = 0; i < RUN_PRODUCTS; i++) productIds.push(productWithStock(1_000_000))
  return { tokens, productIds }
}

/** @typedef {{ tokens: string[], productIds: number[] }} JourneyData */
const RUN_PRODUCTS = 4

/** @param {import('k6/http').RefinedResponse<'text'>} res */
function watch(res) {
  if (res.status >= 500) serverErrors.add(1)
  const stock = res.status === 200 || res.status === 201 ? res.json('stockQuantity') : undefined
  if (typeof stock === 'number' && stock < 0) oversold.add(1)
  return res
}

/**
 * @param {JourneyData} data what accountsFor made in setup()
 * @param {{ orderEvery?: number, cancelEvery?: number, pauseSeconds?: number }} [options]
 */
export function browseAndOrder(data, options = {}) {
  const { orderEvery = 4, cancelEvery = 3, pauseSeconds = 0.5 } = options
  const n = exec.vu.idInTest
  const token = data.tokens[(n - 1) % data.tokens.length]
  const iteration = exec.vu.iterationInScenario
  group('browse', () => {
    const search = watch(
      http.get(`${BASE_URL}/api/v1/products?keyword=a&size=20`, paramsOf(n, 'search', token)),
    )
    check(search, { 'search 200': (r) => r.status === 200 })
    // a demo product and one of the run's
    for (const id of [1 + (iteration % DEMO_PRODUCTS), data.productIds[iteration % data.productIds.length]]) {
      const detail = watch(http.get(`${BASE_URL}/api/v1/products/${id}`, paramsOf(n, 'detail', token)))
      check(detail, { 'detail 200': (r) => r.status === 200 })
    }
    const page = watch(http.get(`${BASE_URL}/api/v1/products/cursor?limit=20`, paramsOf(n, 'cursor', token)))
    check(page, { 'cursor 200': (r) => r.status === 200 })
  })
  if (iteration % orderEvery === 0) {
    group('order', () => {
      const order = watch(
        placeOrder(n, token ?? '', data.productIds[iteration % data.productIds.length] ?? 1),
      )
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
