/**
 * `bun run bench`: HTTP throughput of the real server against a bare Elysia baseline, measured the way INFRA.md
 * measured the drivers: servers pinned to one CPU, wrk on the other, 64 connections, median of BENCH_RUNS.
 *
 * One run: ensure wrk → fresh temp database with the demo data plus BENCH_PRODUCTS products → start the real
 * server (`bun src/main.ts`) and the bare server (scripts/bench-bare-server.ts) → check every scenario answers
 * 2xx → warm up → BENCH_RUNS rounds of every scenario → table + the goal lines → stop servers, delete temp files
 * (also on failure or Ctrl-C).
 *
 * The cache scenarios (scripts/bench/cache.ts): the product detail against three more configurations of the
 * server (L1 + Redis, Redis-only hits, cache off), each its own process on the same database, and a redis-server
 * of the run's own.
 *
 * The order scenario (scripts/bench/orders.ts): BENCH_BUYERS buyers place orders of quantity 1 for one hot
 * product; every answer must be 201. Next to it, in the same round: its anchor, a bare Elysia route running the
 * essential order transaction on bun:sqlite (scripts/bench/bare-order-server.ts: conditional stock UPDATE, order
 * row, outbox row, one transaction per request, same PRAGMAs, its own copy of the database), and the same
 * orders against a server whose relay is paused (its own copy too). With the server idle, each round then runs
 * the raw conditional UPDATE loop (raw-update-loop.ts: the disk's limit for the one statement an order needs) and
 * OrdersService.placeOrder without HTTP, 64 calls in flight, which also counts WAL pages per order
 * (raw-order-loop.ts). Goals (issue #12): orders/s ≥ 50 % of the anchor with p99 ≤ 2× the anchor's, the loop ≥ 2×
 * the anchor's rate (group commit), and order p99 with the relay on ≤ 1.1× with it paused.
 *
 * The outbox group (scripts/bench/outbox.ts, BENCH_ONLY name `outbox relay → Kafka`), after the others: the
 * relay draining a backlog into a real Kafka broker against a bare kafkajs producer, and the delay from an
 * order's commit to a consumer's receipt at a steady order rate.
 *
 * Env: BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (64),
 * BENCH_PRODUCTS (5000), BENCH_BUYERS (64), BENCH_OUTBOX_EVENTS (50000), BENCH_OUTBOX_RATE (200),
 * BENCH_SERVER_CPU (0), BENCH_LOAD_CPU (1), BENCH_ONLY (a regex of scenario names, e.g. `order`; the bare
 * baseline always runs).
 * To add a scenario, append to SCENARIOS: a name and a URL built from the two servers' base URLs.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CACHE_SCENARIOS,
  CACHE_VARIANTS,
  type CacheVariant,
  DETAIL_ANCHOR_SCENARIOS,
  EMBEDDED_DETAIL,
  reportCache,
  startBenchRedis,
} from './bench/cache'
import { seedBenchCatalog } from './bench/catalog-data'
import { LIBSQL_NAME, runLibsqlGroup } from './bench/libsql'
import { MIDDLEWARE_SCENARIOS, reportMiddleware, startMiddlewareServers } from './bench/middleware'
import {
  ORDER_ANCHOR_NAME,
  ORDER_NAME,
  ORDER_RELAY_PAUSED_NAME,
  type OrderLoopRun,
  orderAnchorScenario,
  orderScenario,
  rawUpdateLoop,
  reportOrders,
  seedOrderBench,
} from './bench/orders'
import { OUTBOX_NAME, runOutboxGroup } from './bench/outbox'
import { paymentScenario } from './bench/payments'
import { ORDER_LOOP_IN_FLIGHT } from './bench/raw-order-loop'
import {
  RECOMMENDATION_BENCH_ENV,
  recommendationScenarios,
  reportRecommendations,
} from './bench/recommendations'
import { renderTable, type ScenarioSummary, summarize } from './bench/report'
import type { Scenario, Targets } from './bench/scenario'
import { logTail, type RunningServer, startServer } from './bench/servers'
import { ensureWrk, killRunningWrk, runWrk, type WrkResult } from './bench/wrk'

const CURSOR_PAGE = '/api/v1/products/cursor?limit=20'
const BARE_NAME = 'bare Elysia, constant JSON'
const DETAIL_NAME = EMBEDDED_DETAIL

const SCENARIOS: Scenario[] = [
  { name: BARE_NAME, url: ({ bare }) => `${bare}/product/1` },
  { name: DETAIL_NAME, url: ({ app }) => `${app}/api/v1/products/1` },
  ...CACHE_SCENARIOS,
  ...DETAIL_ANCHOR_SCENARIOS,
  ...recommendationScenarios(),
  ...MIDDLEWARE_SCENARIOS,
  {
    name: 'search: keyword+category+minPrice, price asc',
    url: ({ app }) =>
      `${app}/api/v1/products?keyword=pro&categoryId=1&minPrice=100000&sort=price,asc&size=20`,
  },
  { name: 'cursor page 1 (limit 20)', url: ({ app }) => `${app}${CURSOR_PAGE}` },
  {
    name: 'cursor page 2 (limit 20)',
    url: async ({ app }) => {
      const first = (await (await fetch(`${app}${CURSOR_PAGE}`)).json()) as { nextCursor: string | null }
      if (!first.nextCursor) throw new Error('the first cursor page has no nextCursor (too few products?)')
      return `${app}${CURSOR_PAGE}&cursor=${encodeURIComponent(first.nextCursor)}`
    },
  },
]

const RAW_NAME = 'raw conditional UPDATE loop, BEGIN IMMEDIATE … COMMIT each'
const RAW_ORDER_NAME = `OrdersService.placeOrder, no HTTP, ${ORDER_LOOP_IN_FLIGHT} in flight`

/** The default check: a GET answering 2xx. */
function probeGet(scenario: Scenario) {
  return async (target: string) => {
    const response = await fetch(target, { headers: scenario.headers })
    const body = await response.text()
    if (!response.ok) throw new Error(`${scenario.name}: ${response.status} from ${target}\n${body}`)
    const total = /"totalElements":(\d+)/.exec(body)?.[1]
    return `${response.status}, ${body.length} bytes${total ? `, ${total} matches` : ''}`
  }
}

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`)
  return value
}

const settings = {
  seconds: intEnv('BENCH_SECONDS', 10),
  runs: intEnv('BENCH_RUNS', 3),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 2, 0),
  connections: intEnv('BENCH_CONNECTIONS', 64),
  products: intEnv('BENCH_PRODUCTS', 5000, 0),
  buyers: intEnv('BENCH_BUYERS', 64),
  serverCpu: process.env.BENCH_SERVER_CPU ?? '0',
  loadCpu: process.env.BENCH_LOAD_CPU ?? '1',
}
const GOAL_RATIO = 0.5
/** Orders/s ≥ this share of the anchor's, p99 ≤ this multiple of its p99; the loop ≥ this multiple of its rate. */
const ORDER_GOAL = { ofAnchor: 0.5, p99OfAnchor: 2, loopOfAnchor: 2, p99OfRelayPaused: 1.1 }
const ROOT = join(import.meta.dir, '..')

const cleanups: (() => Promise<void> | void)[] = []
let cleaning: Promise<void> | undefined
/** Runs once; a second caller (signal handler and `finally`) waits for the same run. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    killRunningWrk()
    for (const step of cleanups.reverse()) {
      try {
        await step()
      } catch (error) {
        console.error('cleanup step failed:', error)
      }
    }
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping servers and deleting temp files`)
    void cleanup().then(() => process.exit(130))
  })
}

async function main(): Promise<number> {
  ensureWrk()
  const canPin = Bun.which('taskset') !== null && availableParallelism() >= 2
  if (!canPin) console.warn('warning: taskset missing or fewer than 2 CPUs: servers and wrk are NOT pinned')
  const serverCpu = canPin ? settings.serverCpu : undefined
  const loadCpu = canPin ? settings.loadCpu : undefined

  const [load1] = loadavg()
  if (load1! > 0.5) {
    console.warn(
      `warning: load average ${load1!.toFixed(2)} before the run: other processes share these CPUs, expect noise`,
    )
  }

  const dir = mkdtempSync(join(tmpdir(), 'marketplace-bench-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const dbFile = join(dir, 'bench.db')

  let started = performance.now()
  await seedBenchCatalog(dbFile, settings.products)
  const orderBench = await seedOrderBench(dbFile, settings.buyers)
  // copies for the order anchor and the server whose relay is paused: the main server's relay must not see their
  // rows (seedOrderBench left the file checkpointed: a copy of it is the whole database)
  const anchorDbFile = join(dir, 'bench-order-anchor.db')
  const relayPausedDbFile = join(dir, 'bench-relay-paused.db')
  for (const copy of [anchorDbFile, relayPausedDbFile]) copyFileSync(dbFile, copy)
  console.log(
    `seeded demo data + ${settings.products} products + hot product ${orderBench.productId} + ` +
      `${settings.buyers} buyers in ${Math.round(performance.now() - started)} ms`,
  )

  const servers: RunningServer[] = []
  cleanups.push(() => Promise.all(servers.map((s) => s.stop())).then(() => undefined))
  const onFailure = (error: unknown) => {
    for (const s of servers) console.error(`--- ${s.name} log (tail) ---\n${logTail(s.logFile)}`)
    throw error
  }
  const redis = await startBenchRedis(dir, loadCpu)
  cleanups.push(() => redis.stop())
  const appEnv = {
    DATABASE_URL: `file:${dbFile}`,
    SEED_DEMO_DATA: 'true',
    JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(36))).toString('base64url'),
    JWT_ACCESS_TTL_SECONDS: '86400', // the buyers' tokens outlive any run
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    UPLOAD_DIR: join(dir, 'uploads'),
    SHUTDOWN_GRACE_MS: '2000',
    // Limits stay ON so their check is part of what is measured, but far above what wrk's one IP and the
    // order scenario's buyers ever send (≈ 30k req/s): nothing is refused.
    RATE_LIMIT_IP_PER_SECOND: '10000000',
    RATE_LIMIT_ORDERS_PER_SECOND: '1000000',
    ...RECOMMENDATION_BENCH_ENV,
  }
  const appServer = (name: string, env: Record<string, string>, port?: number) =>
    startServer({
      name,
      args: ['src/main.ts'],
      env: { ...appEnv, ...env },
      readyPath: '/actuator/health/readiness',
      cpu: serverCpu,
      logFile: join(dir, `${name}.log`),
      cwd: ROOT,
      port,
    })
  /** A bare script on the server's CPU (an anchor, a floor); `databaseFile` is its BENCH_DB_FILE, if it has one. */
  const anchorServer = (name: string, script: string, readyPath: string, databaseFile?: string) =>
    startServer({
      name,
      args: [script],
      env: databaseFile === undefined ? {} : { BENCH_DB_FILE: databaseFile },
      readyPath,
      cpu: serverCpu,
      logFile: join(dir, `${name}.log`),
      cwd: ROOT,
    })
  started = performance.now()
  try {
    servers.push(await appServer('marketplace', {}))
    for (const variant of CACHE_VARIANTS) {
      // read-only servers: their relays would only compete with the main server's for the orders' events
      const env = { REDIS_URL: redis.url, OUTBOX_RELAY_ENABLED: 'false', ...variant.env }
      servers.push(await appServer(`marketplace-${variant.key}`, env))
    }
    const relayPaused = { DATABASE_URL: `file:${relayPausedDbFile}`, OUTBOX_RELAY_ENABLED: 'false' }
    servers.push(await appServer('marketplace-relay-paused', relayPaused))
    // the anchors: bare routes on the server's CPU, each on its database file
    servers.push(await anchorServer('bare', 'scripts/bench-bare-server.ts', '/product/1', dbFile))
    servers.push(
      await anchorServer('bare-order', 'scripts/bench/bare-order-server.ts', '/health', anchorDbFile),
    )
  } catch (error) {
    onFailure(error)
  }
  const urlOf = (name: string) => servers.find((s) => s.name === name)!.baseUrl
  const app = servers[0]!
  const variantUrl = (key: CacheVariant) => urlOf(`marketplace-${key}`)
  console.log(
    `servers ready in ${Math.round(performance.now() - started)} ms (pinned to CPU ${serverCpu ?? '-'})`,
  )

  const targets: Targets = {
    bare: urlOf('bare'),
    app: app.baseUrl,
    redis: variantUrl('redis'),
    l2: variantUrl('l2'),
    uncached: variantUrl('uncached'),
    orderAnchor: urlOf('bare-order'),
    relayPaused: urlOf('marketplace-relay-paused'),
  }
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined
  if (MIDDLEWARE_SCENARIOS.some((s) => !only || only.test(s.name))) {
    targets.middleware = await startMiddlewareServers({
      dir,
      loadCpu,
      startApp: appServer,
      startScript: anchorServer,
      onCleanup: (step) => cleanups.push(step),
    }).catch(onFailure)
  }
  const orderScenarios = [
    orderAnchorScenario(dir, orderBench),
    orderScenario(dir, orderBench),
    orderScenario(dir, orderBench, ORDER_RELAY_PAUSED_NAME, (t) => t.relayPaused),
  ]
  // the anchor and the relay-paused server run whenever the orders do: their goals are ratios to them
  const isSelected = (name: string) => !only || name === BARE_NAME || only.test(name)
  const selected = [
    ...SCENARIOS.filter((s) => isSelected(s.name)),
    ...(isSelected(ORDER_NAME) ? orderScenarios : []),
    ...[paymentScenario(dir, orderBench)].filter((s) => isSelected(s.name)),
  ]
  const resolved = await Promise.all(selected.map(async (s) => ({ ...s, target: await s.url(targets) })))
  for (const scenario of resolved) {
    console.log(`  ${scenario.name}: ${await (scenario.probe ?? probeGet(scenario))(scenario.target)}`)
  }
  const withOrders = resolved.some((s) => s.name === ORDER_NAME)
  const rawLoop = (mode: 'update' | 'order' = 'update') =>
    rawUpdateLoop({
      dbFile,
      productId: orderBench.productId,
      seconds: settings.seconds,
      cpu: serverCpu,
      mode,
    })

  const wrk = async (target: string, scenario: Scenario, seconds: number) => {
    await scenario.around?.before(app.baseUrl)
    try {
      return await runWrk({
        url: target,
        seconds,
        connections: settings.connections,
        cpu: loadCpu,
        headers: scenario.headers,
        script: scenario.script,
      })
    } finally {
      await scenario.around?.after(app.baseUrl)
    }
  }

  console.log(
    `\nwrk -t1 -c${settings.connections} -d${settings.seconds}s on CPU ${loadCpu ?? '-'}, ` +
      `${settings.runs} run(s) each, warm-up ${settings.warmupSeconds}s`,
  )
  if (settings.warmupSeconds > 0) {
    for (const s of resolved) await wrk(s.target, s, settings.warmupSeconds)
  }
  // Rounds interleave the scenarios, so a slow drift of the machine spreads over all of them.
  const runs = new Map<string, WrkResult[]>(resolved.map((s) => [s.name, []]))
  const rawRuns: number[] = []
  const orderLoops: OrderLoopRun[] = []
  const backlogs: number[] = []
  for (let round = 1; round <= settings.runs; round++) {
    for (const s of resolved) {
      const result = await wrk(s.target, s, settings.seconds)
      runs.get(s.name)!.push(result)
      console.log(
        `  [${round}/${settings.runs}] ${s.name}: ${Math.round(result.requestsPerSecond)} req/s, ` +
          `p99 ${result.p99Ms.toFixed(2)} ms${result.non2xx ? `, ${result.non2xx} unexpected status!` : ''}`,
      )
      // the orders' events are relayed after the load: let that finish before anything else is measured
      if (s.name === ORDER_NAME) backlogs.push(await waitForOutboxDrained(app.baseUrl))
    }
    if (withOrders) {
      // after wrk has stopped: the server is idle while the loop holds its CPU
      rawRuns.push((await rawLoop()).perSecond)
      console.log(`  [${round}/${settings.runs}] ${RAW_NAME}: ${Math.round(rawRuns.at(-1)!)} updates/s`)
      const loop = await rawLoop('order')
      orderLoops.push(loop)
      console.log(
        `  [${round}/${settings.runs}] ${RAW_ORDER_NAME}: ${Math.round(loop.perSecond)} orders/s, ` +
          `${loop.ordersPerCommit?.toFixed(1)} orders per commit`,
      )
    }
  }

  const summaries: ScenarioSummary[] = resolved.map((s) => summarize(s.name, runs.get(s.name)!))
  const baseline = summaries.find((s) => s.name === BARE_NAME)!
  const detail = summaries.find((s) => s.name === DETAIL_NAME)
  console.log(`\n${renderTable(summaries, baseline.requestsPerSecond)}\n`)

  if (detail) {
    const ratio = detail.requestsPerSecond / baseline.requestsPerSecond
    console.log(
      `product detail ≥ ${GOAL_RATIO * 100} % of bare at ${settings.connections} connections: ` +
        `${ratio >= GOAL_RATIO ? 'PASS' : 'FAIL'} (${(ratio * 100).toFixed(1)} %)`,
    )
  }

  const cacheLines = reportCache(summaries, baseline.requestsPerSecond)
  if (cacheLines.length > 0) console.log(`\n${cacheLines.join('\n')}`)
  const recommendationLines = reportRecommendations(summaries, detail)
  if (recommendationLines.length > 0) console.log(`\n${recommendationLines.join('\n')}`)
  const middlewareLines = reportMiddleware(summaries)
  if (middlewareLines.length > 0) console.log(`\n${middlewareLines.join('\n')}`)

  const orders = summaries.find((s) => s.name === ORDER_NAME)
  const anchor = summaries.find((s) => s.name === ORDER_ANCHOR_NAME)
  const relayPaused = summaries.find((s) => s.name === ORDER_RELAY_PAUSED_NAME)
  if (orders && anchor && relayPaused) {
    const lines = reportOrders({
      orders,
      anchor,
      relayPaused,
      rawUpdateRuns: rawRuns,
      loops: orderLoops,
      backlogs,
      goal: ORDER_GOAL,
      names: { raw: RAW_NAME, loop: RAW_ORDER_NAME },
      load: `${settings.buyers} buyers, ${settings.connections} connections`,
    })
    console.log(`\n${lines.join('\n')}`)
  }

  let exitCode = 0
  for (const s of summaries) {
    if (s.non2xx > 0) {
      console.error(`ERROR: ${s.name}: ${s.non2xx} unexpected status responses: its numbers are not valid`)
      exitCode = 1
    }
    if (s.socketErrors > 0) console.warn(`warning: ${s.name}: ${s.socketErrors} socket errors`)
  }

  if (!only || only.test(LIBSQL_NAME)) {
    const libsql = await runLibsqlGroup({
      dir,
      runs: settings.runs,
      serverCpu,
      startApp: appServer,
      onCleanup: (step) => cleanups.push(step),
      buyers: settings.buyers,
      fileUncachedUrl: targets.uncached,
      redisUrl: redis.url,
      wrk: (target, scenario) => wrk(target, scenario, settings.seconds),
    })
    console.log(`\n${libsql.lines.join('\n')}`)
    if (!libsql.ok) exitCode = 1
  }

  // last, so that a broker that cannot start costs none of the figures above
  if (!only || only.test(OUTBOX_NAME)) {
    const outbox = await runOutboxGroup({
      dir,
      runs: settings.runs,
      seconds: settings.seconds,
      serverCpu,
      loadCpu,
      startApp: appServer,
      onCleanup: (step) => cleanups.push(step),
      embeddedPid: app.process.pid,
    })
    console.log(`\n${outbox.lines.join('\n')}`)
    if (!outbox.ok) exitCode = 1
  }
  return exitCode
}

/**
 * Waits (at most 2 minutes) until the server's outbox has nothing pending, as /actuator/prometheus reports it;
 * returns what was pending when the load stopped (the relay's backlog).
 */
async function waitForOutboxDrained(baseUrl: string): Promise<number> {
  const startedAt = performance.now()
  let atEnd: number | undefined
  for (;;) {
    const metrics = await (await fetch(`${baseUrl}/actuator/prometheus`)).text()
    const pending = Number(/^marketplace_outbox_pending (\d+)/m.exec(metrics)?.[1] ?? Number.NaN)
    atEnd ??= pending
    if (pending === 0) break
    if (performance.now() - startedAt > 120_000)
      throw new Error(`the outbox still has ${pending} pending events`)
    await Bun.sleep(200)
  }
  console.log(
    `  (outbox: ${atEnd} pending when the load stopped, drained in ${Math.round(performance.now() - startedAt)} ms)`,
  )
  return atEnd
}

let exitCode = 1
try {
  exitCode = await main()
} catch (error) {
  // after Ctrl-C the killed wrk's error is expected noise
  if (!cleaning) console.error(error instanceof Error ? error.message : error)
} finally {
  await cleanup()
}
process.exit(exitCode)
