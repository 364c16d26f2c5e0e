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
 * the naive cache's counter) must agree with it. The chart: loads started per BUCKET_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { seedDemoData } from '../src/demo-data'
import { closeDeps, connectDeps, createDeps, type Deps } from '../src/deps'
import { type CacheSpec, cacheKey, type Loader, type ReadCache } from '../src/platform/cache/two-level-cache'
import type { RedisHandle } from '../src/platform/redis/redis'
import { cacheCountsOf } from './cache'
import type { Lab, LabChart, Language } from './lab'
import { type LabRedis, startLabRedis } from './lab-redis'
import { type StatementWatch, watchSqliteStatements } from './sqlite-statements'

const READERS = 200
const HOT_PRODUCT = 1
/** read by each instance before the stampede: connections open, code warm, the hot key untouched */
const WARM_PRODUCT = 2
const BUCKET_MS = 5

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

/** `way` names the table's row; `ko` the chart's series in Korean */
type Way = { way: string; ko: string; usesRedis: boolean; isNaive: boolean }

const WAYS: Way[] = [
  { way: 'naive get-or-load (Redis)', ko: '단순한 get-or-load (Redis)', usesRedis: true, isNaive: true },
  {
    way: 'ReadCache, L1 only: single flight',
    ko: 'ReadCache, L1만: single flight',
    usesRedis: false,
    isNaive: false,
  },
  {
    way: 'ReadCache + Redis: single flight + lock',
    ko: 'ReadCache + Redis: single flight + 락',
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
    loadConfig({
      DATABASE_URL: `file:${join(dir, 'lab.db')}`,
      JWT_SECRET: 'lab-secret-that-is-long-enough-for-hs256-0123456789',
      LOG_LEVEL: 'silent',
      UPLOAD_DIR: join(dir, 'uploads'),
      RATE_LIMIT_IP_PER_SECOND: '0',
      // the naive way replaces the cache: the app's own must not also subscribe or lock
      ...(isNaive && { CACHE_ENABLED: 'false' }),
      ...env,
    }),
  )
  const naive = isNaive ? new NaiveGetOrLoad(deps.redis!) : undefined
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

type Stampede = {
  way: Way
  instances: number
  /** DB loads made by each instance's cache during the stampede */
  loadsByInstance: number[]
  /** when each statement ran, ms after the reads were sent */
  statementTimes: number[]
  answeredOk: number
  slowestMs: number
}

async function runStampede(way: Way, instances: Instance[], statements: StatementWatch): Promise<Stampede> {
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
    throw new Error(`${way.way}: the caches counted ${loads} loads, the driver ran ${statementTimes.length}`)
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
      return resultOf(results)
    } finally {
      for (const instance of open) await closeDeps(instance.deps)
      statements.close()
      await redis?.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}

function chartOf(results: Stampede[]): LabChart {
  // until the last read was answered, so the chart shows the whole stampede
  const lastMs = Math.max(...results.flatMap((result) => [result.slowestMs, ...result.statementTimes]))
  const buckets = Math.floor(lastMs / BUCKET_MS) + 1
  return {
    title: {
      en: `DB loads per ${BUCKET_MS} ms while ${READERS} reads meet an expired key`,
      ko: `만료된 키에 ${READERS}개의 읽기가 몰릴 때 ${BUCKET_MS}ms마다의 DB 조회`,
    },
    kind: 'bar',
    x: {
      label: { en: 'ms after the reads were sent', ko: '읽기를 보낸 뒤 ms' },
      values: Array.from({ length: buckets }, (_, i) => i * BUCKET_MS),
    },
    y: { label: { en: 'DB loads started', ko: '시작된 DB 조회' } },
    series: results.map((result) => {
      const values = Array.from({ length: buckets }, () => 0)
      for (const at of result.statementTimes) values[Math.floor(Math.max(0, at) / BUCKET_MS)]! += 1
      return { name: { en: result.way.way, ko: result.way.ko }, values }
    }),
  }
}

function resultOf(results: Stampede[]) {
  const [naive, singleFlight, locked] = results as [Stampede, Stampede, Stampede]
  const total = (result: Stampede) => result.statementTimes.length
  const instances = locked.instances
  const explanation: Record<Language, string> = {
    en:
      `${READERS} reads of one product whose cache entry just expired, sent at once to ${instances} instances. ` +
      `The naive get-or-load let ${total(naive)} of them load it from the database: every reader that checked ` +
      "Redis before the first load was stored loaded too. The project's ReadCache without Redis loaded " +
      `${total(singleFlight)} times: single flight keeps one load per key per process, but each instance loads ` +
      `once. With Redis it loaded ${total(locked)} time(s): the instance holding the lock loaded and stored, the ` +
      'others polled Redis every 15 ms for its result (slowest read ' +
      `${locked.slowestMs.toFixed(0)} ms; naive ${naive.slowestMs.toFixed(0)} ms). The bound from the code: at ` +
      `most one load per instance (${instances} here), since an instance fills a key once at a time and keeps it ` +
      'in L1 after; the lock makes it one, unless the holder takes longer than 300 ms or finishes between ' +
      "another instance's miss and its lock attempt. This is the case where a distributed lock pays (guide 1.4).",
    ko:
      `방금 캐시가 만료된 상품 하나를 ${READERS}개의 읽기가 ${instances}개 인스턴스에 한꺼번에 요청했습니다. 단순한 ` +
      `get-or-load에서는 ${total(naive)}개가 DB에서 읽었습니다: 첫 조회 결과가 저장되기 전에 Redis를 확인한 독자는 ` +
      `모두 스스로 읽습니다. Redis 없는 프로젝트의 ReadCache는 ${total(singleFlight)}번: single flight는 ` +
      '프로세스마다 키당 한 번만 읽게 하지만 인스턴스마다 한 번씩은 읽습니다. Redis가 있으면 ' +
      `${total(locked)}번: 락을 잡은 인스턴스가 읽고 저장했고, 나머지는 15ms마다 Redis를 확인해 그 결과를 ` +
      `받았습니다(가장 느린 읽기 ${locked.slowestMs.toFixed(0)}ms, 단순한 방식 ${naive.slowestMs.toFixed(0)}ms). ` +
      `코드에서 나오는 상한은 인스턴스당 한 번(여기서는 ${instances}번)입니다: 인스턴스는 한 키를 한 번에 하나만 ` +
      '채우고 그 뒤엔 L1에 둡니다. 락은 이를 한 번으로 만듭니다. 락 보유자가 300ms보다 오래 걸리거나, 다른 ' +
      '인스턴스의 미스와 락 시도 사이에 끝나 버리는 경우만 예외입니다. 분산 락이 값을 하는 경우가 바로 ' +
      '이것입니다(가이드 1.4).',
  }
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'instances', ko: '인스턴스' },
        { en: 'reads', ko: '읽기' },
        { en: 'answered 200', ko: '200 응답' },
        { en: 'DB loads', ko: 'DB 조회' },
        { en: 'loads by instance', ko: '인스턴스별 조회' },
        { en: 'slowest read ms', ko: '가장 느린 읽기 ms' },
      ],
      rows: results.map((result) => [
        result.way.way,
        result.instances,
        READERS,
        result.answeredOk,
        total(result),
        result.loadsByInstance.join(' + '),
        Math.round(result.slowestMs),
      ]),
    },
    explanation: (language: Language) => explanation[language],
    charts: [chartOf(results)],
  }
}
