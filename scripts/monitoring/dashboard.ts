/**
 * The Grafana dashboard, written as data: rows of panels, each with its PromQL. `bun run monitoring:dashboard`
 * writes monitoring/grafana/dashboards/marketplace.json from it; test/observability/prometheus.test.ts checks
 * that file is what this produces and runs every panel's query against a real Prometheus scraping a running app.
 * Queries read `job="marketplace"` (monitoring/prometheus.yml) and leave out the actuator routes from request
 * figures (health checks and scrapes are not traffic).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const DASHBOARD_FILE = join(
  import.meta.dir,
  '..',
  '..',
  'monitoring',
  'grafana',
  'dashboards',
  'marketplace.json',
)

type Unit = 'reqps' | 'ops' | 'percentunit' | 's' | 'bytes' | 'short' | 'none'
export type Panel = {
  title: string
  description: string
  /** each target: a PromQL expression and its legend */
  queries: { expr: string; legend: string }[]
  unit: Unit
  type?: 'timeseries' | 'stat' | 'state-timeline'
}
type Row = { title: string; panels: Panel[] }

const APP = 'job="marketplace"'
const API = `${APP}, uri!~"/actuator.*"`
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
            expr: `sum by (method, uri) (${rate(`http_server_requests_seconds_count{${API}}`)})`,
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
              `(sum(${rate(`http_server_requests_seconds_count{${API}, outcome="SERVER_ERROR"}`, '5m')}) or vector(0))` +
              ` / sum(${rate(`http_server_requests_seconds_count{${API}}`, '5m')})`,
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
            expr: `sum by (uri, status) (${rate(`http_server_requests_seconds_count{${API}, outcome="CLIENT_ERROR"}`)})`,
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
            expr: quantile(0.99, 'le, uri', `http_server_requests_seconds_bucket{${API}}`),
            legend: '{{uri}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Latency p50 / p95 / p99, all API routes',
        description: "The guide's p95 query, with p50 and p99 next to it.",
        queries: [0.5, 0.95, 0.99].map((q) => ({
          expr: quantile(q, 'le', `http_server_requests_seconds_bucket{${API}}`),
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
          { expr: `sum(${rate(`marketplace_orders_created_total{${APP}}`)})`, legend: 'placed' },
          { expr: `sum(${rate(`marketplace_orders_cancelled_total{${APP}}`)})`, legend: 'cancelled' },
          { expr: `sum(${rate(`marketplace_orders_failed_total{${APP}}`)})`, legend: 'failed' },
        ],
        unit: 'ops',
      },
      {
        title: 'Order failures by reason',
        description:
          'Refused placements by error code (PRODUCT_OUT_OF_STOCK is a sold-out product, not a fault).',
        queries: [
          {
            expr: `sum by (reason) (${rate(`marketplace_orders_failed_total{${APP}}`, '5m')})`,
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
            expr: `sum(${rate(`marketplace_products_stock_insufficient_total{${APP}}`, '5m')})`,
            legend: 'stock-outs',
          },
        ],
        unit: 'ops',
      },
      {
        title: 'Order placement time p50 / p99',
        description: 'Time to place an order, the write transaction (and group commit wait) included.',
        queries: [0.5, 0.99].map((q) => ({
          expr: quantile(q, 'le', `marketplace_orders_creation_seconds_bucket{${APP}}`),
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
            expr: `sum by (result) (${rate(`marketplace_payments_total{${APP}}`, '5m')})`,
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
          { expr: `sum(${rate(`marketplace_products_views_total{${APP}}`)})`, legend: 'views' },
          { expr: `sum(${rate(`marketplace_products_searches_total{${APP}}`)})`, legend: 'searches' },
          { expr: `sum(${rate(`marketplace_products_created_total{${APP}}`)})`, legend: 'created' },
        ],
        unit: 'ops',
      },
      {
        title: 'Signups by result',
        description: "The guide's exercise 2: created, or the error that refused it.",
        queries: [
          {
            expr: `sum by (result) (increase(marketplace_signups_total{${APP}}[5m]))`,
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
              `sum by (cache) (${rate(`marketplace_cache_hits_total{${APP}}`, '5m')}) / (` +
              `sum by (cache) (${rate(`marketplace_cache_hits_total{${APP}}`, '5m')}) + ` +
              `sum by (cache) (${rate(`marketplace_cache_misses_total{${APP}}`, '5m')}))`,
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
            expr: `sum by (cache, level) (${rate(`marketplace_cache_hits_total{${APP}}`)})`,
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
            expr: `sum by (cache) (${rate(`marketplace_cache_loads_total{${APP}}`)})`,
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
          { expr: `max(marketplace_outbox_pending{${APP}})`, legend: 'pending' },
          { expr: `max(marketplace_outbox_oldest_pending_age_seconds{${APP}})`, legend: 'oldest age (s)' },
        ],
        unit: 'short',
      },
      {
        title: 'Events published and failed per second',
        description: 'Relay results: published (acknowledged), failed attempts, dead-lettered events.',
        queries: [
          { expr: `sum(${rate(`marketplace_outbox_published_total{${APP}}`)})`, legend: 'published' },
          { expr: `sum(${rate(`marketplace_outbox_failed_total{${APP}}`)})`, legend: 'failed' },
          { expr: `sum(${rate(`marketplace_outbox_dead_lettered_total{${APP}}`)})`, legend: 'dead-lettered' },
        ],
        unit: 'ops',
      },
      {
        title: 'Consumer lag by topic',
        description: 'Messages published but not yet processed by the notification consumer group.',
        queries: [
          {
            expr: `max by (topic) (marketplace_kafka_consumer_lag{${APP}})`,
            legend: '{{topic}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Notifications sent per second',
        description: "The notification consumer's output, one per event (deduplicated by event id).",
        queries: [{ expr: `sum(${rate(`marketplace_notifications_sent_total{${APP}}`)})`, legend: 'sent' }],
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
            expr: `max by (breaker, instance) (marketplace_circuit_breaker_state{${APP}})`,
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
            expr: `sum by (breaker, to) (increase(marketplace_circuit_breaker_transitions_total{${APP}}[5m]))`,
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
            expr: `sum by (dependency, outcome) (${rate(`marketplace_dependency_call_seconds_count{${APP}}`)})`,
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
              `marketplace_dependency_call_seconds_bucket{${APP}, outcome="success"}`,
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
            expr: `sum by (dependency, state) (marketplace_dependency_bulkhead_calls{${APP}})`,
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
            expr: `sum by (scope) (${rate(`marketplace_rate_limit_rejections_total{${APP}}`)})`,
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
        queries: [{ expr: `sum(up{${APP}})`, legend: 'up' }],
        unit: 'none',
        type: 'stat',
      },
      {
        title: 'CPU per instance',
        description: 'CPU seconds per second (1 = one core busy).',
        queries: [
          {
            expr: `sum by (instance) (${rate(`process_cpu_seconds_total{${APP}}`)})`,
            legend: '{{instance}}',
          },
        ],
        unit: 'short',
      },
      {
        title: 'Memory per instance',
        description: 'Resident memory, and the JavaScriptCore heap in use.',
        queries: [
          { expr: `max by (instance) (process_resident_memory_bytes{${APP}})`, legend: 'rss {{instance}}' },
          { expr: `max by (instance) (bun_jsc_heap_size_bytes{${APP}})`, legend: 'heap {{instance}}' },
        ],
        unit: 'bytes',
      },
      {
        title: 'Event-loop lag p99',
        description: 'How late timers fire: a busy or blocked event loop delays every request.',
        queries: [
          {
            expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${APP}})`,
            legend: '{{instance}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Open file descriptors',
        description: 'Sockets and files per instance, against the limit.',
        queries: [
          { expr: `max by (instance) (process_open_fds{${APP}})`, legend: 'open {{instance}}' },
          { expr: `max by (instance) (process_max_fds{${APP}})`, legend: 'max {{instance}}' },
        ],
        unit: 'short',
      },
    ],
  },
]

const WIDTH = 24
const PANEL_HEIGHT = 8

/** Grafana's dashboard JSON (schema 39): a collapsed-free row per group, panels two per line. */
export function dashboardJson(): string {
  const panels: unknown[] = []
  let y = 0
  let id = 1
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: WIDTH, x: 0, y },
      panels: [],
    })
    y += 1
    row.panels.forEach((panel, i) => {
      const x = (i % 2) * (WIDTH / 2)
      if (i > 0 && i % 2 === 0) y += PANEL_HEIGHT
      panels.push({
        id: id++,
        type: panel.type ?? 'timeseries',
        title: panel.title,
        description: panel.description,
        datasource: { type: 'prometheus', uid: 'prometheus' },
        gridPos: { h: PANEL_HEIGHT, w: WIDTH / 2, x, y },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
        targets: panel.queries.map((query, index) => ({
          refId: String.fromCharCode(65 + index),
          datasource: { type: 'prometheus', uid: 'prometheus' },
          expr: query.expr,
          legendFormat: query.legend,
        })),
      })
    })
    y += PANEL_HEIGHT
  }
  const dashboard = {
    uid: 'marketplace-main',
    title: 'Marketplace',
    tags: ['marketplace'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    editable: false,
    panels,
  }
  return `${JSON.stringify(dashboard, null, 2)}\n`
}

if (import.meta.main) {
  writeFileSync(DASHBOARD_FILE, dashboardJson())
  console.log(`wrote ${DASHBOARD_FILE}`)
}
