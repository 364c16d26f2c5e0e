/**
 * The Grafana dashboard's panels, as data: rows of panels, each with its PromQL (dashboard.ts lays them out and
 * writes the JSON). Queries read `job="marketplace"` (monitoring/prometheus.yml) and leave out the actuator routes
 * from request figures (health checks and scrapes are not traffic); the alert rules
 * (monitoring/rules/marketplace.rules.yml) use the same API_SELECTOR, which test/observability/prometheus.test.ts
 * checks.
 */
type Unit = 'reqps' | 'ops' | 'percentunit' | 's' | 'bytes' | 'short' | 'none'
export type Panel = {
  title: string
  description: string
  /** each target: a PromQL expression and its legend */
  queries: { expr: string; legend: string }[]
  unit: Unit
  type?: 'timeseries' | 'stat' | 'state-timeline'
}
export type Row = { title: string; panels: Panel[] }

/** every series of the app */
export const APP_SELECTOR = 'job="marketplace"'
/** the app's API requests: the actuator routes (health checks, scrapes) are not traffic */
export const API_SELECTOR = `${APP_SELECTOR}, uri!~"/actuator.*"`
const rate = (selector: string, window = '1m') => `rate(${selector}[${window}])`
const quantile = (q: number, by: string, bucket: string) =>
  `histogram_quantile(${q}, sum by (${by}) (${rate(bucket, '5m')}))`

export const ROWS: Row[] = [
  {
    title: 'Traffic (RED)',
    panels: [
      {
        title: 'Requests per second by route',
        description: 'Every API request, by method and route template.',
        queries: [
          {
            expr: `sum by (method, uri) (${rate(`http_server_requests_seconds_count{${API_SELECTOR}}`)})`,
            legend: '{{method}} {{uri}}',
          },
        ],
        unit: 'reqps',
      },
      {
        title: 'Server errors (5xx) share',
        description:
          'Requests answered 5xx over all requests: 0 unless something is broken (a 5xx is a bug).',
        queries: [
          {
            expr:
              `(sum(${rate(`http_server_requests_seconds_count{${API_SELECTOR}, outcome="SERVER_ERROR"}`, '5m')}) or vector(0))` +
              ` / sum(${rate(`http_server_requests_seconds_count{${API_SELECTOR}}`, '5m')})`,
            legend: '5xx share',
          },
        ],
        unit: 'percentunit',
      },
      {
        title: 'Client errors (4xx) by route and status',
        description: 'Refusals: validation (400), auth (401/403/404), conflicts (409), limits (429).',
        queries: [
          {
            expr: `sum by (uri, status) (${rate(`http_server_requests_seconds_count{${API_SELECTOR}, outcome="CLIENT_ERROR"}`)})`,
            legend: '{{status}} {{uri}}',
          },
        ],
        unit: 'reqps',
      },
      {
        title: 'Latency p99 by route',
        description: '99th percentile per route template, from the request histogram.',
        queries: [
          {
            expr: quantile(0.99, 'le, uri', `http_server_requests_seconds_bucket{${API_SELECTOR}}`),
            legend: '{{uri}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Latency p50 / p95 / p99, all API routes',
        description: "The guide's p95 query, with p50 and p99 next to it.",
        queries: [0.5, 0.95, 0.99].map((q) => ({
          expr: quantile(q, 'le', `http_server_requests_seconds_bucket{${API_SELECTOR}}`),
          legend: `p${q * 100}`,
        })),
        unit: 's',
      },
    ],
  },
  {
    title: 'Orders and payments',
    panels: [
      {
        title: 'Orders placed, cancelled, failed per second',
        description: 'Order placements and cancellations; failures are refused placements (any reason).',
        queries: [
          { expr: `sum(${rate(`marketplace_orders_created_total{${APP_SELECTOR}}`)})`, legend: 'placed' },
          {
            expr: `sum(${rate(`marketplace_orders_cancelled_total{${APP_SELECTOR}}`)})`,
            legend: 'cancelled',
          },
          { expr: `sum(${rate(`marketplace_orders_failed_total{${APP_SELECTOR}}`)})`, legend: 'failed' },
        ],
        unit: 'ops',
      },
      {
        title: 'Order failures by reason',
        description:
          'Refused placements by error code (PRODUCT_OUT_OF_STOCK is a sold-out product, not a fault).',
        queries: [
          {
            expr: `sum by (reason) (${rate(`marketplace_orders_failed_total{${APP_SELECTOR}}`, '5m')})`,
            legend: '{{reason}}',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Stock-outs per second',
        description: 'Order lines refused because the stock was not there (the atomic UPDATE said no).',
        queries: [
          {
            expr: `sum(${rate(`marketplace_products_stock_insufficient_total{${APP_SELECTOR}}`, '5m')})`,
            legend: 'stock-outs',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Order placement time p50 / p99',
        description: 'Time to place an order, the write transaction (and group commit wait) included.',
        queries: [0.5, 0.99].map((q) => ({
          expr: quantile(q, 'le', `marketplace_orders_creation_seconds_bucket{${APP_SELECTOR}}`),
          legend: `p${q * 100}`,
        })),
        unit: 's',
      },
      {
        title: 'Payments and refunds by result',
        description:
          'captured, replayed, already_paid, unavailable (503), order_cancelled, refunded, refund_failed.',
        queries: [
          {
            expr: `sum by (result) (${rate(`marketplace_payments_total{${APP_SELECTOR}}`, '5m')})`,
            legend: '{{result}}',
          },
        ],
        unit: 'ops',
      },
    ],
  },
  {
    title: 'Catalog and members',
    panels: [
      {
        title: 'Product views, searches, creations per second',
        description: 'Detail reads answered, public searches (offset and cursor), products created.',
        queries: [
          { expr: `sum(${rate(`marketplace_products_views_total{${APP_SELECTOR}}`)})`, legend: 'views' },
          {
            expr: `sum(${rate(`marketplace_products_searches_total{${APP_SELECTOR}}`)})`,
            legend: 'searches',
          },
          { expr: `sum(${rate(`marketplace_products_created_total{${APP_SELECTOR}}`)})`, legend: 'created' },
        ],
        unit: 'ops',
      },
      {
        title: 'Signups by result',
        description: "The guide's exercise 2: created, or the error that refused it.",
        queries: [
          {
            expr: `sum by (result) (increase(marketplace_signups_total{${APP_SELECTOR}}[5m]))`,
            legend: '{{result}}',
          },
        ],
        unit: 'short',
      },
    ],
  },
  {
    title: 'Cache',
    panels: [
      {
        title: 'Hit ratio by cache',
        description: 'Reads answered from memory or Redis over all reads, per named cache.',
        queries: [
          {
            expr:
              `sum by (cache) (${rate(`marketplace_cache_hits_total{${APP_SELECTOR}}`, '5m')}) / (` +
              `sum by (cache) (${rate(`marketplace_cache_hits_total{${APP_SELECTOR}}`, '5m')}) + ` +
              `sum by (cache) (${rate(`marketplace_cache_misses_total{${APP_SELECTOR}}`, '5m')}))`,
            legend: '{{cache}}',
          },
        ],
        unit: 'percentunit',
      },
      {
        title: 'Hits by cache and level',
        description: "l1: this instance's memory; l2: Redis (with REDIS_URL).",
        queries: [
          {
            expr: `sum by (cache, level) (${rate(`marketplace_cache_hits_total{${APP_SELECTOR}}`)})`,
            legend: '{{cache}} {{level}}',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Database loads by cache',
        description:
          'Cache fills that ran the query: what a stampede would multiply (single flight keeps it low).',
        queries: [
          {
            expr: `sum by (cache) (${rate(`marketplace_cache_loads_total{${APP_SELECTOR}}`)})`,
            legend: '{{cache}}',
          },
        ],
        unit: 'ops',
      },
    ],
  },
  {
    title: 'Events (outbox → Kafka)',
    panels: [
      {
        title: 'Outbox pending and oldest age',
        description: 'Events written with their order and not yet acknowledged by the broker.',
        queries: [
          { expr: `max(marketplace_outbox_pending{${APP_SELECTOR}})`, legend: 'pending' },
          {
            expr: `max(marketplace_outbox_oldest_pending_age_seconds{${APP_SELECTOR}})`,
            legend: 'oldest age (s)',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Events published and failed per second',
        description: 'Relay results: published (acknowledged), failed attempts, dead-lettered events.',
        queries: [
          {
            expr: `sum(${rate(`marketplace_outbox_published_total{${APP_SELECTOR}}`)})`,
            legend: 'published',
          },
          { expr: `sum(${rate(`marketplace_outbox_failed_total{${APP_SELECTOR}}`)})`, legend: 'failed' },
          {
            expr: `sum(${rate(`marketplace_outbox_dead_lettered_total{${APP_SELECTOR}}`)})`,
            legend: 'dead-lettered',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Consumer lag by topic',
        description: 'Messages published but not yet processed by the notification consumer group.',
        queries: [
          {
            expr: `max by (topic) (marketplace_kafka_consumer_lag{${APP_SELECTOR}})`,
            legend: '{{topic}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Notifications sent per second',
        description: "The notification consumer's output, one per event (deduplicated by event id).",
        queries: [
          { expr: `sum(${rate(`marketplace_notifications_sent_total{${APP_SELECTOR}}`)})`, legend: 'sent' },
        ],
        unit: 'ops',
      },
    ],
  },
  {
    title: 'Resilience',
    panels: [
      {
        title: 'Circuit breaker state',
        description: '0 CLOSED, 1 OPEN, 2 HALF_OPEN, per breaker and instance.',
        queries: [
          {
            expr: `max by (breaker, instance) (marketplace_circuit_breaker_state{${APP_SELECTOR}})`,
            legend: '{{breaker}} {{instance}}',
          },
        ],
        unit: 'none',
        type: 'state-timeline',
      },
      {
        title: 'Breaker transitions',
        description: 'State changes by breaker and the state entered.',
        queries: [
          {
            expr: `sum by (breaker, to) (increase(marketplace_circuit_breaker_transitions_total{${APP_SELECTOR}}[5m]))`,
            legend: '{{breaker}} → {{to}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Dependency calls by outcome',
        description:
          'success, failure, timeout, open (refused by the breaker), bulkhead (refused by the bulkhead).',
        queries: [
          {
            expr: `sum by (dependency, outcome) (${rate(`marketplace_dependency_call_seconds_count{${APP_SELECTOR}}`)})`,
            legend: '{{dependency}} {{outcome}}',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Dependency call time p99',
        description: 'Per dependency, answered calls only.',
        queries: [
          {
            expr: quantile(
              0.99,
              'le, dependency',
              `marketplace_dependency_call_seconds_bucket{${APP_SELECTOR}, outcome="success"}`,
            ),
            legend: '{{dependency}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Bulkhead: calls in flight and queued',
        description:
          'A slow dependency holds at most its bulkhead; the rest wait in its queue or are refused.',
        queries: [
          {
            expr: `sum by (dependency, state) (marketplace_dependency_bulkhead_calls{${APP_SELECTOR}})`,
            legend: '{{dependency}} {{state}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Rate-limit rejections by scope',
        description: '429 answers: ip (every API request), orders (per member), signup (per address).',
        queries: [
          {
            expr: `sum by (scope) (${rate(`marketplace_rate_limit_rejections_total{${APP_SELECTOR}}`)})`,
            legend: '{{scope}}',
          },
        ],
        unit: 'reqps',
      },
    ],
  },
  {
    title: 'Runtime (Bun)',
    panels: [
      {
        title: 'Instances up',
        description: 'Instances answering their scrape.',
        queries: [{ expr: `sum(up{${APP_SELECTOR}})`, legend: 'up' }],
        unit: 'none',
        type: 'stat',
      },
      {
        title: 'CPU per instance',
        description: 'CPU seconds per second (1 = one core busy).',
        queries: [
          {
            expr: `sum by (instance) (${rate(`process_cpu_seconds_total{${APP_SELECTOR}}`)})`,
            legend: '{{instance}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Memory per instance',
        description: 'Resident memory, and the JavaScriptCore heap in use.',
        queries: [
          {
            expr: `max by (instance) (process_resident_memory_bytes{${APP_SELECTOR}})`,
            legend: 'rss {{instance}}',
          },
          {
            expr: `max by (instance) (bun_jsc_heap_size_bytes{${APP_SELECTOR}})`,
            legend: 'heap {{instance}}',
          },
        ],
        unit: 'bytes',
      },
      {
        title: 'Event-loop lag p99',
        description: 'How late timers fire: a busy or blocked event loop delays every request.',
        queries: [
          {
            expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${APP_SELECTOR}})`,
            legend: '{{instance}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Open file descriptors',
        description: 'Sockets and files per instance, against the limit.',
        queries: [
          { expr: `max by (instance) (process_open_fds{${APP_SELECTOR}})`, legend: 'open {{instance}}' },
          { expr: `max by (instance) (process_max_fds{${APP_SELECTOR}})`, legend: 'max {{instance}}' },
        ],
        unit: 'short',
      },
    ],
  },
]
