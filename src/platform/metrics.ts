/**
 * The Prometheus registry (prom-client) and the metrics every module shares. Label sets are bounded: routes
 * are templates (`/api/v1/products/:id`), never raw paths or ids. Hot-path label children are bound once and
 * reused (INFRA.md measured a label object per request at ≈3× the cost).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** The business metrics of SPEC §10 for orders. */
export type OrderMetrics = {
  created: Counter
  failed: Counter<'reason'>
  cancelled: Counter
  creationSeconds: Histogram
  stockInsufficient: Counter
}

/** Per named cache (`product-detail`, `products-popular`, `categories`): see src/platform/two-level-cache.ts. */
export type CacheMetrics = {
  /** answered from memory (`level="l1"`) or Redis (`level="l2"`) */
  hits: Counter<'cache' | 'level'>
  misses: Counter<'cache'>
  /** how often the loader (the database) ran: what a stampede would multiply */
  loads: Counter<'cache'>
}

export type Metrics = {
  registry: Registry
  httpRequests: Histogram<'method' | 'uri' | 'status'>
  orders: OrderMetrics
  /** requests refused with 429 by a rate limit, by scope (`orders`, `ip`) */
  rateLimitRejections: Counter<'scope'>
  cache: CacheMetrics
  /** 0 closed, 1 open, 2 half-open */
  circuitBreakerState: Gauge<'breaker'>
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
  const cache: CacheMetrics = {
    hits: new Counter({
      name: 'marketplace_cache_hits_total',
      help: 'Cache reads answered from memory (l1) or Redis (l2), by cache',
      labelNames: ['cache', 'level'] as const,
      registers,
    }),
    misses: new Counter({
      name: 'marketplace_cache_misses_total',
      help: 'Cache reads that found nothing in either level, by cache',
      labelNames: ['cache'] as const,
      registers,
    }),
    loads: new Counter({
      name: 'marketplace_cache_loads_total',
      help: 'Cache fills that queried the database, by cache',
      labelNames: ['cache'] as const,
      registers,
    }),
  }
  const circuitBreakerState = new Gauge({
    name: 'marketplace_circuit_breaker_state',
    help: 'Circuit breaker state by breaker: 0 closed, 1 open, 2 half-open',
    labelNames: ['breaker'] as const,
    registers,
  })
  return { registry, httpRequests, orders, rateLimitRejections, cache, circuitBreakerState }
}
