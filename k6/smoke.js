// A smoke test: one buyer, a few iterations of the whole journey (health, browse, order, pay, cancel). Run it
// after a deploy, before anything heavier.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/smoke.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load smoke`.
import { check } from 'k6'
import http from 'k6/http'
import { accountsFor, browseAndOrder, JOURNEY_THRESHOLDS } from './lib/journeys.js'
import { BASE_URL } from './lib/marketplace.js'

export const options = {
  scenarios: { smoke: { executor: 'per-vu-iterations', vus: 1, iterations: 12, maxDuration: '1m' } },
  thresholds: { ...JOURNEY_THRESHOLDS, checks: ['rate==1'] },
}

export function setup() {
  const res = http.get(`${BASE_URL}/actuator/health/readiness`)
  check(res, { ready: (r) => r.status === 200 && r.json('status') === 'UP' })
  return accountsFor(1)
}

/** @param {import('./lib/journeys.js').JourneyData} data */
export default function (data) {
  browseAndOrder(data, { orderEvery: 1, cancelEvery: 2, pauseSeconds: 0.1 })
}
