/**
 * Lab `bulkhead` (the guide's Phase 4, "Bulkhead"): the recommendation service turns slow — every answer takes
 * 250 ms, set through its fault injection API, still inside the app's 300 ms timeout, so nothing fails and no
 * breaker would open — while buyers keep asking `GET /api/v1/products/recommendations` and shoppers keep reading
 * product detail (`GET /api/v1/products/{id}`), each at a steady rate. Product detail does not call the service:
 * it sits next to it in the same process. So what a bulkhead protects is that process (the calls, sockets and CPU
 * every route shares) and the service itself, while the recommendation route answers a fallback at once instead
 * of joining the pile. The service runs as a process of its own (`marketplace simulate recommendations`), as a
 * remote dependency would. Measured on a fresh app each:
 * (a) the service healthy, and then slow, with the project's Dependency (src/platform/resilience/dependency.ts):
 *     a bulkhead of 8 in flight and 8 waiting; the next call is refused at once and the route answers the popular
 *     products, `source: "fallback"`;
 * (b) the service slow without it — deliberately naive, in config only: the bulkhead raised to 10,000 in flight,
 *     so every request holds a call to the slow service.
 * In both the breaker is held closed (window and minimum of 10,000 calls) so only the bulkhead differs (the breaker
 * has a lab of its own). Measured: product detail p50/p99 and reads answered per second, the process's CPU, the
 * recommendation answers (served, fallback, refused by the bulkhead: the app's dependency metric), the most calls
 * the service ever had in flight (its own counter), and every TICK_MS the calls the app held. The table, the chart
 * and the explanation are built in labs/bulkhead-result.ts.
 */
import { type BulkheadShape, type BulkheadWindow, explainBulkheadWindows } from './bulkhead-result'
import type { Lab } from './lab'
import { type LabApp, openLabApp } from './lab-app'
import {
  counterSum,
  injectFaults,
  resetSimulatorStats,
  simulatorStats,
  startSimulatorProcess,
} from './measure'

const SLOW_MS = 250
/** how often the load generator sends what is due and reads the bulkhead */
const TICK_MS = 5
const BREAKER_HELD_CLOSED = {
  RECOMMENDATION_BREAKER_WINDOW: '10000',
  RECOMMENDATION_BREAKER_MINIMUM_CALLS: '10000',
}
const NO_BULKHEAD = {
  RECOMMENDATION_BULKHEAD_MAX_CONCURRENT: '10000',
  RECOMMENDATION_BULKHEAD_MAX_QUEUE: '0',
}

const FULL: BulkheadShape = { windowMs: 6_000, detailPerSecond: 400, recommendationsPerSecond: 800 }
const FAST: BulkheadShape = { windowMs: 2_500, detailPerSecond: 400, recommendationsPerSecond: 800 }

export const bulkheadLab: Lab = {
  name: 'bulkhead',
  title: {
    en: 'A slow recommendation service, with and without the bulkhead',
    ko: '느린 추천 서비스: 벌크헤드 유무',
  },
  async run({ isFast }) {
    const shape = isFast ? FAST : FULL
    const service = await startSimulatorProcess('recommendations')
    try {
      const [healthy, ours] = await measureOnFreshApp(service.url, shape, {}, [0, SLOW_MS])
      const [naive] = await measureOnFreshApp(service.url, shape, NO_BULKHEAD, [SLOW_MS])
      return explainBulkheadWindows({ healthy: healthy!, ours: ours!, naive: naive!, shape, slowMs: SLOW_MS })
    } finally {
      await service.stop()
    }
  },
}

/** A fresh app on the service, `env` on top of the lab's; one window per service latency in `latencies`. */
async function measureOnFreshApp(
  serviceUrl: string,
  shape: BulkheadShape,
  env: Record<string, string>,
  latencies: number[],
): Promise<BulkheadWindow[]> {
  const lab = await openLabApp({
    RECOMMENDATION_URL: serviceUrl,
    RATE_LIMIT_IP_PER_SECOND: '0',
    ...BREAKER_HELD_CLOSED,
    ...env,
  })
  try {
    const productIds = (
      lab.sqlite.query("select id from products where status = 'ON_SALE'").all() as { id: number }[]
    ).map((row) => row.id)
    await putCatalog(serviceUrl, productIds)
    const token = await lab.loginAs('BUYER')
    await injectFaults(serviceUrl, { mode: 'healthy', latencyMs: 0 })
    // warm the caches and a connection, so no window pays a first read
    for (const id of productIds) await lab.request('GET', `/api/v1/products/${id}`)
    await lab.request('GET', '/api/v1/products/recommendations', { token })
    const windows: BulkheadWindow[] = []
    for (const latencyMs of latencies) {
      await injectFaults(serviceUrl, { mode: 'healthy', latencyMs })
      await resetSimulatorStats(serviceUrl)
      windows.push(await measureWindow(lab, serviceUrl, productIds, token, shape))
    }
    await injectFaults(serviceUrl, { mode: 'healthy', latencyMs: 0 })
    return windows
  } finally {
    await lab.close()
  }
}

async function putCatalog(serviceUrl: string, productIds: number[]): Promise<void> {
  const response = await fetch(`${serviceUrl}/v1/catalog`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ productIds }),
  })
  if (response.status !== 200) throw new Error(`catalog: ${response.status} ${await response.text()}`)
}

/**
 * Shoppers reading product detail and buyers asking for recommendations, each at a fixed rate whatever the answers
 * take (open loop, as users arrive: a slow answer does not slow the arrivals), for `shape.windowMs`.
 */
async function measureWindow(
  lab: LabApp,
  serviceUrl: string,
  productIds: number[],
  token: string,
  shape: BulkheadShape,
): Promise<BulkheadWindow> {
  const refusedBefore = await refusedCalls(lab)
  const dependency = lab.deps.remote.recommendations.dependency
  const readDetail = async (id: number) => {
    const sentAt = performance.now()
    const answer = await lab.request('GET', `/api/v1/products/${id}`)
    if (answer.status !== 200)
      throw new Error(`product detail: ${answer.status} ${JSON.stringify(answer.body)}`)
    return performance.now() - sentAt
  }
  const recommend = async () => {
    const sentAt = performance.now()
    const answer = await lab.request('GET', '/api/v1/products/recommendations', { token })
    if (answer.status !== 200)
      throw new Error(`recommendations: ${answer.status} ${JSON.stringify(answer.body)}`)
    return { source: String(answer.body.source), ms: performance.now() - sentAt }
  }
  const details: Promise<number>[] = []
  const answers: Promise<BulkheadWindow['answers'][number]>[] = []
  const held: BulkheadWindow['held'] = []
  const cpuBefore = process.cpuUsage()
  const startedAt = performance.now()
  for (let atMs = 0; atMs < shape.windowMs; atMs = performance.now() - startedAt) {
    while (details.length < (atMs * shape.detailPerSecond) / 1000)
      details.push(readDetail(productIds[details.length % productIds.length]!))
    while (answers.length < (atMs * shape.recommendationsPerSecond) / 1000) answers.push(recommend())
    const { inFlight, queued } = dependency.load()
    held.push({ atMs, calls: inFlight + queued })
    await Bun.sleep(TICK_MS)
  }
  const detailMs = await Promise.all(details)
  const seconds = (performance.now() - startedAt) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return {
    detailMs,
    seconds,
    cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
    answers: await Promise.all(answers),
    refused: (await refusedCalls(lab)) - refusedBefore,
    mostInFlight: (await simulatorStats(serviceUrl)).maxInFlight,
    held,
  }
}

/** Calls to the recommendation service the bulkhead refused so far (marketplace_dependency_call_seconds_count). */
const refusedCalls = ({ deps }: LabApp) =>
  counterSum(deps.metrics.dependencyCalls, { dependency: 'recommendations', outcome: 'bulkhead' }, '_count')
