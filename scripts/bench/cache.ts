/**
 * The cache scenarios of `bun run bench` (issue 4): the same `GET /api/v1/products/1` against four configurations
 * of the real server, all on the bench database, in the same run as the bare baseline:
 * - embedded: no REDIS_URL, the in-process cache (the main bench server);
 * - L1 + Redis: REDIS_URL set (the production shape: L1 in front of Redis, and the per-IP limit counted in Redis);
 * - Redis only: the same with CACHE_L1_TTL_MS=0 (no L1): every read asks Redis (concurrent reads of the key still
 *   share one GET: single flight);
 * - cache off: CACHE_ENABLED=false, every read runs the SQL (the uncached baseline).
 * The bench's Redis is its own redis-server on the load generator's CPU (the server's CPU stays the server's).
 * Goal: the L1 + Redis read ≥ 70 % of the bare route and ≥ 3× the uncached read, p99 < 10 ms.
 */
import { join } from 'node:path'
import { freePort, stopProcess } from '../service-processes'
import type { ScenarioSummary } from './report'
import type { Scenario } from './scenario'

export const CACHE_GOAL = { ofBare: 0.7, ofUncached: 3, p99Ms: 10 }

/** The extra servers: their name, env (on top of the main server's), and the scenario that reads them. */
export const CACHE_VARIANTS = [
  { key: 'redis', label: 'L1 + Redis L2 (REDIS_URL)', env: {} },
  { key: 'l2', label: 'Redis only (CACHE_L1_TTL_MS=0)', env: { CACHE_L1_TTL_MS: '0' } },
  { key: 'uncached', label: 'cache off (every read runs the SQL)', env: { CACHE_ENABLED: 'false' } },
] as const

export type CacheVariant = (typeof CACHE_VARIANTS)[number]['key']

export const detailName = (label: string) => `GET /api/v1/products/1, ${label}`
export const EMBEDDED_DETAIL = detailName('embedded in-process cache')

export const CACHE_SCENARIOS: Scenario[] = CACHE_VARIANTS.map((variant) => ({
  name: detailName(variant.label),
  url: (targets) => `${targets[variant.key]}/api/v1/products/1`,
}))

/** The detail's anchors (scripts/bench-bare-server.ts): the same product JSON from a Map, and from one PK read. */
export const MAP_ANCHOR = 'anchor: bare Elysia, product JSON from a Map'
export const SQLITE_ANCHOR = 'anchor: bare Elysia + one bun:sqlite PK read'
export const DETAIL_ANCHOR_SCENARIOS: Scenario[] = [
  { name: MAP_ANCHOR, url: ({ bare }) => `${bare}/map/product/1` },
  { name: SQLITE_ANCHOR, url: ({ bare }) => `${bare}/sqlite/product/1` },
]
/** Issue #12: the cached detail ≥ this share of the Map anchor, the uncached ≥ this share of the PK anchor. */
export const DETAIL_ANCHOR_GOAL = { cachedOfMap: 0.7, uncachedOfSqlite: 0.6 }

/** A throwaway redis-server for the run; `stop` kills it. */
export async function startBenchRedis(dir: string, cpu: string | undefined) {
  if (!Bun.which('redis-server')) {
    throw new Error(
      'redis-server is missing: run `bun run services:up` once (it installs it), then the bench',
    )
  }
  const port = freePort()
  const args = [
    'redis-server',
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
  ]
  args.push('--logfile', join(dir, 'redis.log'))
  const child = Bun.spawn(cpu === undefined ? args : ['taskset', '-c', cpu, ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    const ping = Bun.spawnSync(['redis-cli', '-u', url, 'ping'], { stderr: 'ignore' })
    if (ping.stdout.toString().trim() === 'PONG') return { url, stop: () => stopProcess(child) }
    await Bun.sleep(50)
  }
  await stopProcess(child)
  throw new Error(`the bench redis-server on port ${port} did not answer PING`)
}

/** The goal lines, from the medians of this run. */
export function reportCache(summaries: ScenarioSummary[], bareRps: number): string[] {
  const find = (name: string) => summaries.find((s) => s.name === name)
  const cached = find(CACHE_SCENARIOS[0]!.name)
  const uncached = find(CACHE_SCENARIOS[2]!.name)
  if (!cached || !uncached) return []
  const ofBare = cached.requestsPerSecond / bareRps
  const ofUncached = cached.requestsPerSecond / uncached.requestsPerSecond
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL')
  const embedded = find(EMBEDDED_DETAIL)
  return [
    `cached detail (L1 + Redis) ≥ ${CACHE_GOAL.ofBare * 100} % of bare: ${verdict(ofBare >= CACHE_GOAL.ofBare)} ` +
      `(${(ofBare * 100).toFixed(1)} %)`,
    `cached detail (L1 + Redis) ≥ ${CACHE_GOAL.ofUncached}× uncached: ` +
      `${verdict(ofUncached >= CACHE_GOAL.ofUncached)} (${ofUncached.toFixed(2)}×)`,
    `cached detail (L1 + Redis) p99 < ${CACHE_GOAL.p99Ms} ms: ${verdict(cached.p99Ms < CACHE_GOAL.p99Ms)} ` +
      `(${cached.p99Ms.toFixed(2)} ms)`,
    ...(embedded
      ? [
          `embedded in-process cache: ${((embedded.requestsPerSecond / bareRps) * 100).toFixed(1)} % of bare, ` +
            `${(embedded.requestsPerSecond / uncached.requestsPerSecond).toFixed(2)}× uncached`,
        ]
      : []),
    ...anchorLines(find, embedded, uncached),
  ]
}

function anchorLines(
  find: (name: string) => ScenarioSummary | undefined,
  cached: ScenarioSummary | undefined,
  uncached: ScenarioSummary,
): string[] {
  const map = find(MAP_ANCHOR)
  const sqlite = find(SQLITE_ANCHOR)
  if (!map || !sqlite || !cached) return []
  const cachedOfMap = cached.requestsPerSecond / map.requestsPerSecond
  const uncachedOfSqlite = uncached.requestsPerSecond / sqlite.requestsPerSecond
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL')
  const goal = DETAIL_ANCHOR_GOAL
  return [
    `embedded cached detail ≥ ${goal.cachedOfMap * 100} % of the Map anchor: ` +
      `${verdict(cachedOfMap >= goal.cachedOfMap)} (${(cachedOfMap * 100).toFixed(1)} %)`,
    `uncached detail ≥ ${goal.uncachedOfSqlite * 100} % of the bun:sqlite PK anchor: ` +
      `${verdict(uncachedOfSqlite >= goal.uncachedOfSqlite)} (${(uncachedOfSqlite * 100).toFixed(1)} %)`,
  ]
}
