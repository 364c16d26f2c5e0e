/**
 * The Prometheus registry (prom-client) and the metrics every module shares. Label sets are bounded: routes
 * are templates (`/api/v1/products/:id`), never raw paths or ids. Hot-path label children are bound once and
 * reused (INFRA.md measured a label object per request at ≈3× the cost).
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export type Metrics = {
  registry: Registry
  httpRequests: Histogram<'method' | 'uri' | 'status'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpRequests = new Histogram({
    name: 'http_server_requests_seconds',
    help: 'HTTP server requests by method, route template and status',
    labelNames: ['method', 'uri', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  return { registry, httpRequests }
}
