// Breaking the payment gateway mid-run: buyers order and pay steadily; 30 s in, the payment simulator goes into
// an outage (POST /api/v1/admin/faults, which reaches every instance); 30 s later it heals. Expected: payments
// answer 200 before, fast 503 PAYMENT_UNAVAILABLE with Retry-After during (the breaker opens: no waiting on a
// dead gateway, orders stay PENDING), 200 again after the breaker's probe closes it. Never a 500.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/circuit-breaker.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load circuit-breaker`.
import { check, sleep } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'
import { Counter } from 'k6/metrics'
import { accountsFor, SLO } from './lib/journeys.js'
import { pay, placeOrder, setFaults } from './lib/marketplace.js'

const paid = new Counter('payments_captured')
const unavailable = new Counter('payments_unavailable')
const serverErrors = new Counter('server_errors')

// during the outage a 503 PAYMENT_UNAVAILABLE is the expected answer
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }, 409, 503))

export const options = {
  setupTimeout: '5m',
  scenarios: {
    buyers: { executor: 'constant-vus', vus: Number(__ENV.VUS || 20), duration: '100s', exec: 'buy' },
    breaker: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'breakAndHeal', startTime: '30s' },
  },
  thresholds: {
    server_errors: ['count==0'],
    payments_captured: ['count>0'],
    payments_unavailable: ['count>0'],
    // while OPEN the breaker answers at once: a 503 must not wait for the gateway's timeout
    'http_req_duration{name:payment,status:503}': [`p(95)<${SLO.breaker.openPayment503.p95}`],
    checks: ['rate>0.99'],
  },
}

export function setup() {
  return accountsFor(Number(__ENV.VUS || 20))
}

/** @param {import('./lib/journeys.js').JourneyData} data */
export function buy(data) {
  const n = exec.vu.idInTest
  const token = data.tokens[(n - 1) % data.tokens.length] ?? ''
  const order = placeOrder(n, token, data.productIds[n % data.productIds.length] ?? 1)
  if (order.status !== 201) return
  const res = pay(n, token, /** @type {number} */ (order.json('id')))
  if (res.status === 200) paid.add(1)
  else if (res.status === 503) unavailable.add(1)
  if (res.status >= 500 && res.status !== 503) serverErrors.add(1)
  check(res, {
    'payment 200, or 503 PAYMENT_UNAVAILABLE with Retry-After': (r) =>
      r.status === 200 ||
      (r.status === 503 && r.json('code') === 'PAYMENT_UNAVAILABLE' && Boolean(r.headers['Retry-After'])),
  })
  sleep(0.5)
}

export function breakAndHeal() {
  setFaults('payment', { mode: 'outage' })
  sleep(30)
  setFaults('payment', { mode: 'healthy' })
}
