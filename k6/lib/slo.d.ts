// The shape of slo.js, for the TypeScript that imports it (scripts/load).
type Latency = { p95?: number; p99?: number }

export declare const SLO: {
  journey: Record<'search' | 'detail' | 'cursor' | 'order' | 'payment', Latency>
  spike: Record<'detail' | 'order', Latency>
  concurrency: Record<'order', Latency>
  breaker: { openPayment503: Latency }
  errorRate: number
}
