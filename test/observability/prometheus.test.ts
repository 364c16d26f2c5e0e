/**
 * monitoring/ against a real Prometheus (scripts/prometheus.ts, Debian's prometheus): the app (Redis and Kafka
 * mode, events flowing) is scraped every second from before any traffic, a little of everything happens (browse,
 * search, signup, products, orders, a stock-out, a payment, a cancel and its refund, a breaker opened and closed,
 * a 404), and then every Grafana panel's query and every alert rule's metrics must return data. A panel or rule
 * that reads a metric the app does not emit fails here. Also: the committed dashboard JSON is what its generator
 * writes, the files pass promtool's checks and the rules' unit tests, and the live exposition passes
 * `promtool check metrics`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DASHBOARD_FILE, dashboardJson } from '../../scripts/monitoring/dashboard'
import { API_SELECTOR, ROWS } from '../../scripts/monitoring/dashboard-rows'
import {
  findPrometheusTool,
  MONITORING_DIR,
  promtool,
  queryPrometheus,
  type RunningPrometheus,
  startPrometheus,
} from '../../scripts/prometheus'
import { createProduct } from '../support/catalog-fixtures'
import { kafkaTestEnv, redisTestEnv, useTestApp } from '../support/harness'
import {
  cancelOrder,
  freshProduct,
  orderBody,
  payOrder,
  placeOrder,
  postOrder,
} from '../support/order-fixtures'
import { waitUntil } from '../support/outbox-fixtures'
import { SERVICE_START_TIMEOUT_MS } from '../support/services'

const { t, tokens, server } = useTestApp(
  async () => ({ ...(await redisTestEnv('prometheus')), ...(await kafkaTestEnv('prometheus')) }),
  { tokens: true, startEventFlow: true, listen: true },
)

const RULES_FILE = join(MONITORING_DIR, 'rules', 'marketplace.rules.yml')
type Rule = { alert: string; expr: string }
const RULES = (
  Bun.YAML.parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules)

let prometheus: RunningPrometheus

/** Waits until Prometheus has scraped the app `count` more times. */
async function scrapes(count: number) {
  const scraped = async () =>
    Number(
      (await queryPrometheus(prometheus.url, 'count_over_time(up{job="marketplace"}[1h])'))[0]?.value[1] ?? 0,
    )
  const target = (await scraped()) + count
  await waitUntil(
    async () => (await scraped()) >= target,
    30_000,
    () => `Prometheus did not scrape the app ${count} more times`,
  )
}

async function breakerState(name: string): Promise<string | undefined> {
  const health = await t.request('GET', '/actuator/health', { token: tokens.admin })
  return health.body.components?.circuitBreakers?.details?.[name]
}

async function setRecommendationFaults(mode: 'outage' | 'healthy') {
  const res = await t.request('POST', '/api/v1/admin/faults', {
    token: tokens.admin,
    body: { dependency: 'recommendation', mode },
  })
  expect(res.status, res.text).toBe(200)
}

/** A little of everything a dashboard shows. */
async function traffic() {
  for (const id of [1, 2, 1, 3]) expect((await t.request('GET', `/api/v1/products/${id}`)).status).toBe(200)
  expect((await t.request('GET', '/api/v1/products/424242')).status).toBe(404)
  expect((await t.request('GET', '/api/v1/products?keyword=a')).status).toBe(200)
  expect((await t.request('GET', '/api/v1/products/cursor?limit=5')).status).toBe(200)
  expect((await t.request('GET', '/api/v1/products/popular')).status).toBe(200)
  const member = { email: 'watcher@example.com', password: 'password123', name: 'Watcher', role: 'BUYER' }
  expect((await t.request('POST', '/api/v1/auth/signup', { body: member })).status).toBe(201)
  expect((await t.request('POST', '/api/v1/auth/signup', { body: member })).status).toBe(409)
  await createProduct(t, tokens.seller)
  const productId = await freshProduct(t, tokens.seller, 2)
  const paid = await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
  await payOrder(t, tokens.buyer, paid.id)
  expect((await cancelOrder(t, tokens.buyer, paid.id)).status).toBe(200) // a paid order: refunded
  const outOfStock = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 5 }]))
  expect(outOfStock.status, outOfStock.text).toBe(409)
  // the recommendations breaker opens, then closes again
  await setRecommendationFaults('outage')
  await waitUntil(
    async () => {
      if ((await breakerState('recommendations')) === 'OPEN') return true
      await t.request('GET', '/api/v1/products/recommendations', { token: tokens.buyer })
      return false
    },
    10_000,
    () => 'the recommendations breaker did not open',
  )
  await setRecommendationFaults('healthy')
}

beforeAll(async () => {
  prometheus = await startPrometheus({
    home: join(t.dir, 'prometheus'),
    targets: [new URL(server.baseUrl).host],
    scrapeIntervalSeconds: 1,
  })
  await scrapes(2) // every counter has a sample before the traffic: rate() sees the increases
  await traffic()
  await Bun.sleep(5_500) // the consumer lag gauge refreshes every 5 s
  await scrapes(3)
}, SERVICE_START_TIMEOUT_MS)

afterAll(async () => {
  await prometheus?.stop()
}, 15_000)

describe('the Grafana dashboard', () => {
  test('the committed JSON is what scripts/monitoring/dashboard.ts writes (bun run monitoring:dashboard)', () => {
    expect(readFileSync(DASHBOARD_FILE, 'utf8')).toBe(dashboardJson())
  })

  const queries = ROWS.flatMap((row) =>
    row.panels.flatMap((panel) => panel.queries.map((query) => ({ panel: panel.title, expr: query.expr }))),
  )
  test.each(queries)('panel "$panel" returns data: $expr', async ({ expr }) => {
    const samples = await queryPrometheus(prometheus.url, expr)
    expect(samples.length, `no data for ${expr}`).toBeGreaterThan(0)
  })
})

/** The metric names a PromQL expression reads: identifiers outside label matchers, strings and `by (…)` lists. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'inf', 'nan'])
  const names = [...stripped.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
    .filter((match) => !match[2] && !keywords.has(match[1]!.toLowerCase()))
    .map((match) => match[1]!)
  return [...new Set(names)]
}

describe('the alert rules', () => {
  test('pass promtool check rules and their unit tests (promtool test rules)', () => {
    expect(RULES.length).toBeGreaterThan(0)
    expect(promtool('check', 'rules', RULES_FILE)).toContain(`SUCCESS: ${RULES.length} rules found`)
    expect(promtool('test', 'rules', join(MONITORING_DIR, 'rules', 'marketplace.rules.test.yml'))).toContain(
      'SUCCESS',
    )
  })

  test('prometheus.yml passes promtool check config', () => {
    expect(promtool('check', 'config', join(MONITORING_DIR, 'prometheus.yml'))).toContain('SUCCESS')
  })

  test.each(RULES)('$alert: its query runs and every metric it reads has series', async ({ expr }) => {
    await queryPrometheus(prometheus.url, expr) // refused (throws) if Prometheus cannot run it
    const names = metricNamesIn(expr)
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) {
      const series = await queryPrometheus(prometheus.url, `count(${name}{job="marketplace"})`)
      expect(series.length, `${name} has no series`).toBe(1)
    }
  })

  test('rules on HTTP requests select API requests as the dashboard does (no health checks, no scrapes)', () => {
    const selectors = RULES.flatMap((rule) => [
      ...rule.expr.matchAll(/http_server_requests_seconds_\w+\{([^}]*)\}/g),
    ]).map((match) => match[1]!)
    expect(selectors.length).toBeGreaterThan(0)
    for (const selector of selectors) expect(selector.startsWith(API_SELECTOR), selector).toBe(true)
  })

  test('the metric-name reader finds the names and nothing else', () => {
    expect(
      metricNamesIn(
        'sum by (le) (rate(http_server_requests_seconds_bucket{job="marketplace", uri!~"/a.*"}[5m])) / ' +
          'sum(rate(x_total{a="b"}[1m])) > 0.05 and on (job) up == 1',
      ),
    ).toEqual(['http_server_requests_seconds_bucket', 'x_total', 'up'])
  })
})

describe('the exposition', () => {
  test('passes promtool check metrics, with the runtime metrics true on Bun', async () => {
    const res = await t.request('GET', '/actuator/prometheus')
    const check = Bun.spawnSync([findPrometheusTool('promtool'), 'check', 'metrics'], {
      stdin: new TextEncoder().encode(res.text),
    })
    expect(check.success, `${check.stdout}${check.stderr}`).toBe(true)
    expect(res.text).toContain('bun_info{version=')
    expect(res.text).toContain('bun_jsc_heap_size_bytes')
    expect(res.text).not.toContain('process_heap_bytes')
    expect(res.text).not.toContain('nodejs_version_info')
    expect(res.text).not.toContain('nodejs_active_handles')
  })
})

test('Prometheus scraped the app as job="marketplace"', async () => {
  const up = await queryPrometheus(prometheus.url, 'up{job="marketplace"}')
  expect(up.map((sample) => sample.value[1])).toEqual(['1'])
})
