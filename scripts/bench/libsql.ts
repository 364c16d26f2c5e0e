/**
 * The libSQL group of `bun run bench` (issue #11), on a sqld primary of the run's own (scripts/sqld.ts; not pinned:
 * like a database server on its own machine, it shares both CPUs). Same wrk settings as the other scenarios.
 *
 * 1. Remote writes: POST /api/v1/orders on the server in remote mode (DATABASE_URL=http://sqld, with Redis as
 *    instances on a shared database run: the token blacklist is there, not one more database read), against the anchor,
 *    a minimal Elysia route sending the essential order (stock decrement, order row, outbox row) as one
 *    `batch(…, 'write')` to the same sqld over the same client (bare-sqld-order-server.ts). Goal ≥ 70 % of it,
 *    every answer 201. Then the same orders through two instances on one port (SO_REUSEPORT).
 * 2. Embedded replica reads: GET /api/v1/products/1 with the cache off on a server in embedded-replica mode (reads
 *    from its replica file through bun:sqlite), against the same read on the local-file server with the cache off.
 *    Goal: within 20 %. And a driver loop on the replica file: bun:sqlite against @libsql/client.
 * Figures are medians of BENCH_RUNS rounds.
 */

import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import { members, products } from '../../db/schema'
import { seedDemoData } from '../../src/demo-data'
import { openRemoteDatabase } from '../../src/platform/db/remote-database'
import { freePort } from '../service-processes'
import { startSqld } from '../sqld'
import { type OrderBench, orderBenchRows, orderScenario } from './orders'
import { type ScenarioSummary, summarize } from './report'
import type { Scenario, Targets } from './scenario'
import { logTail, type RunningServer, startServer } from './servers'
import type { WrkResult } from './wrk'

/** What BENCH_ONLY is matched against. */
export const LIBSQL_NAME = 'libSQL server (sqld)'
const GOAL = { ofAnchor: 0.7, replicaOfFile: 0.8 }
const LOOP_READS = { bun: 200_000, client: 5_000 }

export type LibsqlContext = {
  dir: string
  runs: number
  serverCpu: string | undefined
  /** the server with the bench's app env plus `env`, pinned to the server CPU (`port`: a fixed one) */
  startApp: (name: string, env: Record<string, string>, port?: number) => Promise<RunningServer>
  onCleanup: (step: () => Promise<void> | void) => void
  buyers: number
  /** the local-file server with the cache off (the cache group's `uncached` variant) */
  fileUncachedUrl: string
  /** the bench's Redis: instances share it, as they must (the token blacklist, cache invalidation, limits) */
  redisUrl: string
  wrk: (target: string, scenario: Scenario) => Promise<WrkResult>
}

export async function runLibsqlGroup(context: LibsqlContext): Promise<{ lines: string[]; ok: boolean }> {
  const sqld = await startSqld({ dir: join(context.dir, 'sqld') })
  context.onCleanup(() => sqld.stop())
  const bench = await seedRemote(sqld.url, context.buyers)
  const remote = { DATABASE_URL: sqld.url, REDIS_URL: context.redisUrl, REDIS_KEY_PREFIX: 'bench-sqld:' }
  const single = await context.startApp('marketplace-sqld', remote)
  const sharedPort = freePort()
  const pair = [
    await context.startApp('marketplace-sqld-a', remote, sharedPort),
    await context.startApp('marketplace-sqld-b', remote, sharedPort),
  ]
  const replica = await context.startApp('marketplace-embedded-replica', {
    DATABASE_URL: `file:${join(context.dir, 'replica.db')}`,
    DATABASE_SYNC_URL: sqld.url,
    CACHE_ENABLED: 'false',
    OUTBOX_RELAY_ENABLED: 'false',
  })
  const anchor = await startServer({
    name: 'bare-sqld-order',
    args: [join(import.meta.dir, 'bare-sqld-order-server.ts')],
    env: { SQLD_URL: sqld.url, BENCH_PRODUCT_ID: String(bench.productId) },
    readyPath: '/health',
    cpu: context.serverCpu,
    logFile: join(context.dir, 'bare-sqld-order.log'),
    cwd: context.dir,
  })
  for (const server of [single, ...pair, replica, anchor]) context.onCleanup(() => server.stop())

  const targets = (app: string): Targets => ({
    bare: '',
    app,
    redis: '',
    l2: '',
    uncached: '',
    orderAnchor: '',
    relayPaused: '',
  })
  const names = {
    anchor: 'libSQL: minimal route, essential order as one write batch',
    single: 'libSQL: POST /api/v1/orders, 1 instance',
    pair: 'libSQL: POST /api/v1/orders, 2 instances on one port',
    replica: 'GET /api/v1/products/1, embedded replica, cache off',
    file: 'GET /api/v1/products/1, local file, cache off',
  }
  const anchorScript = join(context.dir, 'bare-sqld-order.lua')
  await Bun.write(anchorScript, 'wrk.method = "POST"\n')
  const scenarios: { scenario: Scenario; target: string }[] = [
    {
      scenario: { name: names.anchor, url: () => '', script: anchorScript },
      target: `${anchor.baseUrl}/order`,
    },
    ...(await Promise.all(
      [
        [names.single, single.baseUrl],
        [names.pair, pair[0]!.baseUrl],
      ].map(async ([name, base]) => {
        const scenario = orderScenario(context.dir, bench, name!, () => base!)
        const target = await scenario.url(targets(base!))
        await scenario.probe!(target)
        return { scenario, target }
      }),
    )),
    { scenario: { name: names.replica, url: () => '' }, target: `${replica.baseUrl}/api/v1/products/1` },
    { scenario: { name: names.file, url: () => '' }, target: `${context.fileUncachedUrl}/api/v1/products/1` },
  ]
  const runs = new Map<string, WrkResult[]>(scenarios.map(({ scenario }) => [scenario.name, []]))
  for (let round = 1; round <= context.runs; round++) {
    for (const { scenario, target } of scenarios) {
      const result = await context.wrk(target, scenario)
      runs.get(scenario.name)!.push(result)
      console.log(
        `  [${round}/${context.runs}] ${scenario.name}: ${Math.round(result.requestsPerSecond)} req/s, ` +
          `p99 ${result.p99Ms.toFixed(2)} ms${result.non2xx ? `, ${result.non2xx} unexpected status!` : ''}`,
      )
    }
  }
  const summary = (name: string): ScenarioSummary => summarize(name, runs.get(name)!)
  const [anchorRun, singleRun, pairRun, replicaRun, fileRun] = [
    names.anchor,
    names.single,
    names.pair,
    names.replica,
    names.file,
  ].map(summary) as [ScenarioSummary, ScenarioSummary, ScenarioSummary, ScenarioSummary, ScenarioSummary]
  const loops = await readLoops(join(context.dir, 'replica.db'))
  const ofAnchor = singleRun.requestsPerSecond / anchorRun.requestsPerSecond
  const replicaOfFile = replicaRun.requestsPerSecond / fileRun.requestsPerSecond
  const line = (s: ScenarioSummary) =>
    `${s.name}: ${Math.round(s.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${s.p50Ms.toFixed(2)} ms, ` +
    `p99 ${s.p99Ms.toFixed(2)} ms (runs ${s.runs.map((r) => Math.round(r.requestsPerSecond)).join(' / ')})`
  const failures = [anchorRun, singleRun, pairRun, replicaRun, fileRun].filter(
    (s) => s.non2xx > 0 || s.requestsPerSecond === 0,
  )
  for (const server of failures.length > 0 ? [single, ...pair, replica, anchor] : []) {
    console.error(`--- ${server.name} log (tail) ---\n${logTail(server.logFile)}`)
  }
  if (failures.length > 0)
    console.error(`--- sqld log (tail) ---\n${logTail(join(sqld.dir, 'sqld.log'), 60)}`)
  const lines = [
    `libSQL server (sqld ${sqld.url}, unpinned):`,
    ...[anchorRun, singleRun, pairRun, replicaRun, fileRun].map(line),
    `orders on sqld ≥ ${GOAL.ofAnchor * 100} % of the one-batch anchor: ${ofAnchor >= GOAL.ofAnchor ? 'PASS' : 'FAIL'} ` +
      `(${(ofAnchor * 100).toFixed(1)} %); 2 instances vs 1: ${(pairRun.requestsPerSecond / singleRun.requestsPerSecond).toFixed(2)}×`,
    `embedded replica detail within 20 % of the local file: ${replicaOfFile >= GOAL.replicaOfFile ? 'PASS' : 'FAIL'} ` +
      `(${(replicaOfFile * 100).toFixed(1)} %)`,
    `PK reads of the replica file, one loop: bun:sqlite ${Math.round(loops.bun).toLocaleString('en-US')}/s, ` +
      `@libsql/client ${Math.round(loops.client).toLocaleString('en-US')}/s (${(loops.bun / loops.client).toFixed(0)}×)`,
    ...failures.map(
      (s) => `ERROR: ${s.name}: ${s.non2xx} unexpected status responses, ${s.socketErrors} socket errors`,
    ),
  ]
  return { lines, ok: failures.length === 0 }
}

/** The demo data, the bench buyers and the hot product, written to the primary (migrated first). */
async function seedRemote(url: string, buyers: number): Promise<OrderBench> {
  const rows = await orderBenchRows(buyers)
  const handle = await openRemoteDatabase({ url, authToken: undefined, timeoutMs: 30_000 })
  try {
    await seedDemoData({ mode: 'remote', remote: handle, replicas: [] }) // the seller and category they need
    await handle.db.insert(members).values(rows.members)
    const [hot] = await handle.db.insert(products).values(rows.product).returning({ id: products.id })
    return { productId: hot!.id, buyerEmails: rows.buyerEmails }
  } finally {
    handle.close()
  }
}

/** Sequential primary-key reads of the replica file: bun:sqlite (read-only) against @libsql/client. */
async function readLoops(file: string): Promise<{ bun: number; client: number }> {
  const sqlite = new Database(file, { readonly: true })
  const statement = sqlite.query('select * from products where id = ?')
  let started = performance.now()
  for (let i = 0; i < LOOP_READS.bun; i++) statement.get((i % 5) + 1)
  const bun = LOOP_READS.bun / ((performance.now() - started) / 1000)
  sqlite.close()
  const client = createClient({ url: `file:${file}` })
  started = performance.now()
  for (let i = 0; i < LOOP_READS.client; i++) {
    await client.execute({ sql: 'select * from products where id = ?', args: [(i % 5) + 1] })
  }
  const perSecond = LOOP_READS.client / ((performance.now() - started) / 1000)
  client.close()
  return { bun, client: perSecond }
}
