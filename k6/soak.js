// A soak: moderate steady load for a long time (30 minutes by default), to find what grows — memory, the outbox
// backlog, WAL size, connection counts — while the SLOs hold. Watch Grafana while it runs.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 -e DURATION=30m k6/soak.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load soak`.
import { accountsFor, browseAndOrder, JOURNEY_THRESHOLDS } from './lib/journeys.js'

export const options = {
  // setup() signs up one account per virtual user
  setupTimeout: '5m',
  scenarios: {
    steady: { executor: 'constant-vus', vus: Number(__ENV.VUS || 30), duration: __ENV.DURATION || '30m' },
  },
  thresholds: JOURNEY_THRESHOLDS,
}

export function setup() {
  return accountsFor(Number(__ENV.VUS || 30))
}

/** @param {import('./lib/journeys.js').JourneyData} data */
export default function (data) {
  browseAndOrder(data, { pauseSeconds: 1 })
}
