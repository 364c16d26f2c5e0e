// A realistic mix under steady load: buyers search, read details, walk cursor pages; one visit in four orders,
// pays, and one order in three of those is cancelled (refunded). SLOs per endpoint as thresholds.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 -e VUS=50 -e DURATION=2m k6/browse-and-order.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load browse-and-order`.
import { accountsFor, browseAndOrder, JOURNEY_THRESHOLDS } from './lib/journeys.js'

export const options = {
  // setup() signs up one account per virtual user
  setupTimeout: '5m',
  scenarios: {
    buyers: { executor: 'constant-vus', vus: Number(__ENV.VUS || 50), duration: __ENV.DURATION || '2m' },
  },
  thresholds: JOURNEY_THRESHOLDS,
}

export function setup() {
  return accountsFor(Number(__ENV.VUS || 50))
}

/** @param {import('./lib/journeys.js').JourneyData} data */
export default function (data) {
  browseAndOrder(data)
}
