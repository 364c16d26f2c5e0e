// A spike: from a quiet 10 buyers to 300 within 10 s, held for a minute, then back. The same journey as
// browse-and-order; what must hold during the spike: no 5xx, nothing oversold, 429s only where a limit says so.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/spike.js
// Server settings: see k6/lib/marketplace.js. Here (no k6): `bun run load spike`.
import { browseAndOrder, JOURNEY_THRESHOLDS } from './lib/journeys.js'

const PEAK = Number(__ENV.PEAK_VUS || 300)

export const options = {
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
  thresholds: {
    ...JOURNEY_THRESHOLDS,
    'http_req_duration{name:detail}': ['p(95)<150', 'p(99)<400'],
    'http_req_duration{name:order}': ['p(95)<800', 'p(99)<2000'],
  },
}

export default function () {
  browseAndOrder({ pauseSeconds: 0.2 })
}
