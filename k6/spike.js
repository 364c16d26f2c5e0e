// A spike: from a quiet 10 buyers to 300 within 10 s, held for a minute, then back. The same journey as
// browse-and-order; what must hold during the spike: no 5xx, nothing oversold, 429s only where a limit says so.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/spike.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load spike`.
import { accountsFor, browseAndOrder, JOURNEY_THRESHOLDS, latencyThresholds, SLO } from './lib/journeys.js'

const PEAK = Number(__ENV.PEAK_VUS || 300)

export const options = {
  // setup() signs up one account per virtual user
  setupTimeout: '5m',
  scenarios: {
    spike: {
      executor: 'ramping-vus',
      startVUs: 10,
      stages: [
        { duration: '30s', target: 10 },
        { duration: '10s', target: PEAK },
        { duration: '1m', target: PEAK },
        { duration: '10s', target: 10 },
        { duration: '30s', target: 10 },
      ],
    },
  },
  // during a spike latency may double; errors and oversell may not move
  thresholds: { ...JOURNEY_THRESHOLDS, ...latencyThresholds(SLO.spike) },
}

export function setup() {
  return accountsFor(PEAK)
}

/** @param {import('./lib/journeys.js').JourneyData} data */
export default function (data) {
  browseAndOrder(data, { pauseSeconds: 0.2 })
}
