// The SLOs of the load scenarios, in milliseconds: imported by the k6 scripts (k6/lib/journeys.js) and by
// `bun run load` (scripts/load), so both hold the service to the same numbers. Plain JavaScript, no k6 import.
export const SLO = {
  journey: {
    search: {
      p95: 200,
      p99: 500,
    },
    detail: {
      p95: 50,
      p99: 150,
    },
    cursor: {
      p95: 200,
      p99: 500,
    },
    order: {
      p95: 300,
      p99: 800,
    },
    payment: {
      p95: 500,
      p99: 1500,
    },
  },
  spike: {
    detail: {
      p95: 150,
      p99: 400,
    },
    order: {
      p95: 800,
      p99: 2000,
    },
  },
  concurrency: {
    order: {
      p95: 1000,
      p99: 2000,
    },
  },
  breaker: {
    openPayment503: {
      p95: 100,
    },
  },
  errorRate: 0.01,
}
