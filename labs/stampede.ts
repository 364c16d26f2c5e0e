/**
 * Lab `stampede` (the guide's Phase 1.4 and Phase 2, "캐시 스탬피드"; "분산 락은 언제 정말 필요한가?"): a hot
 * product's cache entry expires while 200 reads of it arrive at once, spread over several instances of the app
 * (each its own createDeps + createApp: its own L1, one shared database file and, where used, one shared Redis).
 * The moment of expiry is where each way starts: fresh instances (empty L1s), the key absent from Redis; each
 * instance has first read another product, so its connections are open and its code is warm. Three ways, all
 * through `GET /api/v1/products/:id` on the real app:
 * - naive get-or-load, DELIBERATELY NAIVE and in this file only (NaiveGetOrLoad, swapped in as the app's
 *   ReadCache): check Redis, on a miss load from the database and SET. Every reader that checks before the first
 *   SET lands loads too;
 * - the project's ReadCache without Redis (L1 only): single flight, one fill per key per process: one load per
 *   instance;
 * - the project's ReadCache with Redis (src/platform/cache/two-level-cache.ts): single flight within each
 *   instance, and across instances the lock `SET cache-lock:<key> NX PX`: its holder loads and stores, the other
 *   instances poll Redis for its result (every 15 ms, at most 300 ms). That lock is what the in-process single
 *   flight cannot do: keep N instances from loading N times.
 * DB loads are counted at the driver: every statement bun:sqlite runs during the stampede, with its time
 * (labs/sqlite-statements.ts); each way's own count (the cache's `marketplace_cache_loads_total` per instance,
 * the naive cache's counter) must agree with it. The table, the chart and the explanation are built in
 * labs/stampede-result.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { seedDemoData } from '../src/demo-data'
import { closeDeps, connectDeps, createDeps, type Deps } from '../src/deps'
import { type CacheSpec, cacheKey, type Loader, type ReadCache } from '../src/platform/cache/two-level-cache'
import type { RedisHandle } from '../src/platform/redis/redis'
import { cacheCountsOf } from './cache'
import type { Lab } from './lab'
import { labConfig } from './lab-app'
import { type LabRedis, startLabRedis } from './lab-redis'
import { type StatementWatch, watchSqliteStatements } from './sqlite-statements'
import { explainStampedes, type Stampede, type StampedeWay } from './stampede-result'

const READERS = 200
const HOT_PRODUCT = 1
/** read by each instance before the stampede: connections open, code warm, the hot key untouched */
const WARM_PRODUCT = 2

/**
 * DELIBERATELY NAIVE cache-aside, the guide's 2.3 pattern as most code writes it: GET, on a miss load and SET.
 * Nothing stops concurrent readers of a missing key from all loading it. Not for use outside this lab.
 */
class NaiveGetOrLoad implements ReadCache {
  readonly isEnabled = true
  loads = 0

  constructor(private readonly redis: RedisHandle) {}

  async get<T>(spec: CacheSpec<T>, id: string, load: Loader<T>): Promise<T | null> {
    const key = `${this.redis.keyPrefix}cache:${cacheKey(spec, id)}`
    const cached = await this.redis.run((c) => c.get(key))
    if (cached !== null) return JSON.parse(cached) as T | null
    this.loads += 1
    const value = await load()
    await this.redis.run((c) => c.set(key, JSON.stringify(value), 'PX', spec.ttlMs))
    return value
  }

  async invalidate(keys: string[]): Promise<void> {
    if (keys.length > 0)
      await this.redis.run((c) => c.del(...keys.map((key) => `${this.redis.keyPrefix}cache:${key}`)))
  }
}

const WAYS: StampedeWay[] = [
  {
    way: { en: 'naive get-or-load (Redis)', ko: '단순한 get-or-load (Redis)' },
    usesRedis: true,
    isNaive: true,
  },
  {
    way: { en: 'ReadCache, L1 only: single flight', ko: 'ReadCache, L1만: single flight' },
    usesRedis: false,
    isNaive: false,
  },
  {
    way: { en: 'ReadCache + Redis: single flight + lock', ko: 'ReadCache + Redis: single flight + 락' },
    usesRedis: true,
    isNaive: false,
  },
]

/** One instance of the app: its own deps (L1, connections, metrics) over the shared database file. */
type Instance = {
  deps: Deps
  read(id: number): Promise<number>
  /** the database loads its cache has made so far */
  loads(): Promise<number>
}

async function openInstance(dir: string, env: Record<string, string>, isNaive: boolean): Promise<Instance> {
  const deps = await createDeps(
    labConfig(dir, {
      RATE_LIMIT_IP_PER_SECOND: '0',
      // the naive way replaces the cache: the app's own must not also subscribe or lock
      ...(isNaive && { CACHE_ENABLED: 'false' }),
      ...env,
    }),
  )
  const naive = isNaive ? new NaiveGetOrLoad(deps.redis!) : undefined
  // swapped in before the app's services are built from deps (createApp below): it needs the deps' own Redis
  if (naive) deps.cache = naive
  try {
    await connectDeps(deps)
  } catch (error) {
    await closeDeps(deps)
    throw error
  }
  deps.lifecycle.isReady = true
  const app = createApp(deps)
  return {
    deps,
    async read(id) {
      const response = await app.handle(new Request(`http://localhost/api/v1/products/${id}`))
      await response.arrayBuffer()
      return response.status
    },
    loads: async () => naive?.loads ?? (await cacheCountsOf(deps)).loads,
  }
}

async function runStampede(
  way: StampedeWay,
  instances: Instance[],
  statements: StatementWatch,
): Promise<Stampede> {
  for (const instance of instances) {
    if ((await instance.read(WARM_PRODUCT)) !== 200) throw new Error('the warm-up read failed')
  }
  const before = await Promise.all(instances.map((instance) => instance.loads()))
  statements.start()
  const sentAt = performance.now()
  const answers = await Promise.all(
    Array.from({ length: READERS }, async (_, reader) => {
      const status = await instances[reader % instances.length]!.read(HOT_PRODUCT)
      return { status, ms: performance.now() - sentAt }
    }),
  )
  const statementTimes = statements.stop().map((at) => at - sentAt)
  const after = await Promise.all(instances.map((instance) => instance.loads()))
  const loadsByInstance = after.map((loads, i) => loads - before[i]!)
  const loads = loadsByInstance.reduce((sum, n) => sum + n, 0)
  if (loads !== statementTimes.length)
    throw new Error(
      `${way.way.en}: the caches counted ${loads} loads, the driver ran ${statementTimes.length}`,
    )
  return {
    way,
    instances: instances.length,
    loadsByInstance,
    statementTimes,
    answeredOk: answers.filter((answer) => answer.status === 200).length,
    slowestMs: Math.max(...answers.map((answer) => answer.ms)),
  }
}

export const stampedeLab: Lab = {
  name: 'stampede',
  title: {
    en: 'A hot key expires under 200 concurrent reads',
    ko: '200개의 동시 읽기 중에 인기 키가 만료될 때',
  },
  async run({ isFast }) {
    const instanceCount = isFast ? 2 : 4
    const statements = watchSqliteStatements() // before any app exists: see labs/sqlite-statements.ts
    const dir = mkdtempSync(join(tmpdir(), 'marketplace-lab-'))
    let redis: LabRedis | undefined
    const open: Instance[] = []
    try {
      redis = await startLabRedis()
      const results: Stampede[] = []
      for (const way of WAYS) {
        const env: Record<string, string> = way.usesRedis ? { REDIS_URL: redis.url } : {}
        for (let i = 0; i < instanceCount; i++) open.push(await openInstance(dir, env, way.isNaive))
        if (results.length === 0) await seedDemoData(open[0]!.deps.database)
        if (way.usesRedis) await open[0]!.deps.redis!.run((c) => c.flushdb())
        results.push(await runStampede(way, open, statements))
        for (const instance of open.splice(0)) await closeDeps(instance.deps)
      }
      return explainStampedes({ results, readers: READERS })
    } finally {
      for (const instance of open) await closeDeps(instance.deps)
      statements.close()
      await redis?.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
