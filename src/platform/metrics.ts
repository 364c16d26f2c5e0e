/**
 * The Prometheus registry (prom-client) and the metrics every module shares. Label sets are bounded: routes
 * are templates (`/api/v1/products/:id`), never raw paths or ids. Hot-path label children are bound once and
 * reused (INFRA.md measured a label object per request at ≈3× the cost).
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/** The business metrics of SPEC §10 for orders. */
export type OrderMetrics = {
  created: Counter
  failed: Counter<'reason'>
  cancelled: Counter
  creationSeconds: Histogram
  stockInsufficient: Counter
}

export type Metrics = {
  registry: Registry
  httpRequests: Histogram<'method' | 'uri' | 'status'>
  orders: OrderMetrics
  /** requests refused with 429 by a rate limit, by scope (`orders`, `ip`) */
  rateLimitRejections: Counter<'scope'>
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
  const registers = [registry]
  const orders: OrderMetrics = {
    created: new Counter({ name: 'marketplace_orders_created_total', help: 'Orders placed', registers }),
    failed: new Counter({
      name: 'marketplace_orders_failed_total',
      help: 'Order placements refused, by error code',
      labelNames: ['reason'] as const,
      registers,
    }),
    cancelled: new Counter({
      name: 'marketplace_orders_cancelled_total',
      help: 'Orders cancelled',
      registers,
    }),
    creationSeconds: new Histogram({
      name: 'marketplace_orders_creation_seconds',
      help: 'Time to place an order (the write transaction included)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    stockInsufficient: new Counter({
      name: 'marketplace_products_stock_insufficient_total',
      help: 'Order lines refused for lack of stock',
      registers,
    }),
  }
  const rateLimitRejections = new Counter({
    name: 'marketplace_rate_limit_rejections_total',
    help: 'Requests refused with 429 by a rate limit, by scope',
    labelNames: ['scope'] as const,
    registers,
  })
  return { registry, httpRequests, orders, rateLimitRejections }
}
