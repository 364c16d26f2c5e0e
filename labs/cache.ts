/**
 * Lab `cache` (the guide's Phase 2, "캐싱 전략"): product detail (`GET /api/v1/products/:id`, the real app through
 * `app.handle`, anonymous) read over the demo catalog by concurrent readers, four ways, each an app of its own
 * on a fresh database (all four open at once, so their timed rounds can take turns):
 * - cache off (`CACHE_ENABLED=false`): the baseline, every read runs its SQL;
 * - L1 only (the embedded default, no REDIS_URL): the in-process LocalCache, full TTL;
 * - L1 + Redis (`REDIS_URL`): L1 for CACHE_L1_TTL_MS (5 s), then Redis, then the database
 *   (src/platform/cache/two-level-cache.ts);
 * - Redis only (`CACHE_L1_TTL_MS=0`): every read asks Redis, what one round trip per read costs.
 * The first reads of each product miss every level and load: they are counted (in the untimed reads), as in a
 * cold start. Every answer must be a 200, and the cache's loads must equal the statements counted, or the lab
 * throws rather than print a number it cannot stand behind.
 *
 * How DB queries are counted: at the driver, every statement bun:sqlite executes in this process while the reads
 * run (labs/sqlite-statements.ts wraps the statements the app prepares), so nothing the read path runs escapes,
 * whatever layer runs it. The cache's own metrics (`marketplace_cache_hits_total{level}` and
 * `marketplace_cache_loads_total` in deps.metrics) say where each read was answered, and its loads must equal
 * the statements counted. The Redis is a redis-server of the lab's own (scripts/redis-server.ts), one database
 * number per way that uses it; after the L1 + Redis reads, its keys are listed (SCAN) for the guide's `redis-cli`
 * step.
 */
import type { Deps } from '../src/deps'
import type { Lab, Language, Text } from './lab'
import { type LabApp, openLabApp } from './lab-app'
import { type LabRedis, redisKeysOf, startLabRedis } from './lab-redis'
import { counterSum, percentile } from './measure'
import { watchSqliteStatements } from './sqlite-statements'

/** readers in flight at once, each sending its next read when the last is answered */
const READERS = 32
/**
 * The timed reads of each way are split into rounds, and the ways take turns round by round (all four apps are open
 * at once), so a busy moment of this shared machine falls on every way alike; reads/s is a way's median round.
 */
const ROUNDS = 7

/** The two ways with Redis use a database number each of the one redis-server: same key names, no sharing. */
type Way = { way: Text; env: (redisUrl: string) => Record<string, string> }

const L1_AND_REDIS: Text = { en: 'L1 + Redis (L2)', ko: 'L1 + Redis (L2)' }
const WAYS: Way[] = [
  { way: { en: 'cache off', ko: '캐시 없음' }, env: () => ({ CACHE_ENABLED: 'false' }) },
  { way: { en: 'L1 only (in-process)', ko: 'L1만 (프로세스 내)' }, env: () => ({}) },
  { way: L1_AND_REDIS, env: (url) => ({ REDIS_URL: `${url}/0` }) },
  {
    way: { en: 'Redis only (L1 TTL 0)', ko: 'Redis만 (L1 TTL 0)' },
    env: (url) => ({ REDIS_URL: `${url}/1`, CACHE_L1_TTL_MS: '0' }),
  },
]

type Measured = {
  way: Text
  readsPerSecond: number
  statementsPer1000: number
  /** statements the driver ran during the timed reads */
  statements: number
  /** from the cache's metrics; undefined with the cache off */
  answered?: Answered
}

/**
 * Reads answered from L1, from Redis, by a database load (`db`: the cache's misses, including the readers that
 * awaited a load another reader started), and the loads themselves.
 */
type Answered = { l1: number; l2: number; db: number; loads: number }

/** `reads` product-detail reads by READERS concurrent readers, cycling over `ids`; throws on any non-200. */
async function readProducts(lab: LabApp, ids: number[], reads: number): Promise<void> {
  let next = 0
  const reader = async () => {
    while (next < reads) {
      const id = ids[next++ % ids.length]
      const answer = await lab.request('GET', `/api/v1/products/${id}`)
      if (answer.status !== 200)
        throw new Error(`product ${id}: ${answer.status} ${JSON.stringify(answer.body)}`)
    }
  }
  await Promise.all(Array.from({ length: READERS }, reader))
}

/** The product-detail series of the cache's own counters (prom-client; hot counters flush when read). */
export async function cacheCountsOf(deps: Deps): Promise<Answered> {
  const counterValue = (name: string, labels: Record<string, string>) => {
    const metric = deps.metrics.registry.getSingleMetric(name)
    if (!metric) throw new Error(`no metric ${name}`)
    return counterSum(metric, labels)
  }
  const cache = 'product-detail'
  return {
    l1: await counterValue('marketplace_cache_hits_total', { cache, level: 'l1' }),
    l2: await counterValue('marketplace_cache_hits_total', { cache, level: 'l2' }),
    db: await counterValue('marketplace_cache_misses_total', { cache }),
    loads: await counterValue('marketplace_cache_loads_total', { cache }),
  }
}

export const cacheLab: Lab = {
  name: 'cache',
  title: {
    en: 'Product detail with the cache off, L1, and L1 + Redis',
    ko: '상품 상세: 캐시 없음, L1, L1 + Redis',
  },
  async run({ isFast }) {
    // every way first reads untimed (the JIT warms; the cold fills happen there), then is timed
    const warmUpReads = isFast ? 600 : 3_000
    const timedReads = isFast ? 3_500 : 105_000
    const reads = warmUpReads + timedReads
    const statements = watchSqliteStatements() // before any app exists: see labs/sqlite-statements.ts
    const labs: LabApp[] = []
    let redis: LabRedis | undefined
    try {
      redis = await startLabRedis()
      for (const way of WAYS)
        labs.push(await openLabApp({ RATE_LIMIT_IP_PER_SECOND: '0', ...way.env(redis.url) }))
      const ids = (
        labs[0]!.sqlite.query("select id from products where status = 'ON_SALE'").all() as { id: number }[]
      ).map((row) => row.id)
      const executed = WAYS.map(() => 0)
      const perSecond: number[][] = WAYS.map(() => [])
      const readCounted = async (index: number, count: number) => {
        statements.start()
        const startedAt = performance.now()
        try {
          await readProducts(labs[index]!, ids, count)
        } finally {
          executed[index]! += statements.stop().length
        }
        return (count / (performance.now() - startedAt)) * 1000
      }
      for (let index = 0; index < WAYS.length; index++) await readCounted(index, warmUpReads)
      for (let round = 0; round < ROUNDS; round++) {
        for (let turn = 0; turn < WAYS.length; turn++) {
          const index = (round + turn) % WAYS.length // each round starts with the next way
          perSecond[index]!.push(await readCounted(index, timedReads / ROUNDS))
        }
      }
      const measured: Measured[] = []
      for (const [index, way] of WAYS.entries()) {
        const { deps } = labs[index]!
        const answered = deps.cache.isEnabled ? await cacheCountsOf(deps) : undefined
        if (answered && answered.loads !== executed[index])
          throw new Error(
            `${way.way.en}: the cache loaded ${answered.loads} times, the driver ran ${executed[index]}`,
          )
        measured.push({
          way: way.way,
          readsPerSecond: Math.round(percentile(perSecond[index]!, 50)),
          statementsPer1000: (executed[index]! * 1000) / reads,
          statements: executed[index]!,
          answered,
        })
      }
      // the other two caches too, so every cache's key is there to see
      const withRedis = labs[WAYS.findIndex((way) => way.way === L1_AND_REDIS)]!
      for (const path of ['/api/v1/products/popular', '/api/v1/categories'])
        if ((await withRedis.request('GET', path)).status !== 200) throw new Error(`GET ${path} failed`)
      const redisKeys = await redisKeysOf(withRedis.deps.redis!)
      return resultOf(measured, { reads, timedReads }, ids.length, redisKeys)
    } finally {
      for (const lab of labs) await lab.close()
      statements.close()
      await redis?.stop()
    }
  },
}

function resultOf(
  measured: Measured[],
  counts: { reads: number; timedReads: number },
  productCount: number,
  redisKeys: string[],
) {
  const [off, l1, l2, redisOnly] = measured as [Measured, Measured, Measured, Measured]
  const { reads, timedReads } = counts
  const en = (n: number) => n.toLocaleString('en-US')
  const ko = (n: number) => n.toLocaleString('ko-KR')
  const ratio = (a: Measured, b: Measured) => (a.readsPerSecond / b.readsPerSecond).toFixed(1)
  const popularKey = redisKeys.find((key) => key.includes('products-popular')) ?? '(none)'
  const keyList = redisKeys.join(', ')
  const isRedisSlowerThanSqlite = redisOnly.readsPerSecond < off.readsPerSecond
  const l1Refills = l2.answered?.l2 ?? 0 // L1 + Redis reads answered by Redis
  const explanation: Record<Language, string> = {
    en:
      `${en(reads)} reads of ${productCount} products per way by ${READERS} concurrent readers (reads/s: the ` +
      `median of ${ROUNDS} timed rounds of ${en(timedReads / ROUNDS)}, after ${en(reads - timedReads)} untimed ` +
      `reads; DB queries: every statement the bun:sqlite driver ran, untimed reads included). With the cache off ` +
      `every read runs its SQL: ${en(off.statements)} queries. L1 answers from this process's memory: ` +
      `${en(l1.statements)} queries, the first read of each product (the readers that arrived meanwhile awaited ` +
      `that one load: single flight), at ${ratio(l1, off)}× the baseline's reads per second. L1 + Redis ran ` +
      `${en(l2.statements)}: L1 answers nearly every read; its copies live CACHE_L1_TTL_MS (5 s), then come back ` +
      `from Redis (${en(l1Refills)} reads), not from the database, and Redis keeps each fill for every instance ` +
      `that shares it (lab stampede). With the L1 TTL at 0 every read is a Redis round trip: ` +
      `${en(redisOnly.readsPerSecond)} reads/s` +
      (isRedisSlowerThanSqlite
        ? `, below even the uncached ${en(off.readsPerSecond)}: a primary-key read of a local SQLite file costs ` +
          'microseconds, less than a round trip to Redis. L1 is what makes reads fast; Redis is what lets ' +
          'instances share fills and invalidations.'
        : ` against ${en(off.readsPerSecond)} uncached and ${en(l1.readsPerSecond)} from L1.`) +
      ' With a database across a network, each query saved is a round trip saved too.\n' +
      `Redis keys after the L1 + Redis reads (SCAN): ${keyList}. The guide's \`GET popularProducts::top10\` is ` +
      `\`redis-cli GET ${popularKey}\` here; \`redis-cli --scan --pattern '*cache:*'\` lists them all.`,
    ko:
      `방식마다 상품 ${productCount}개를 동시 독자 ${READERS}명이 ${ko(reads)}번 읽었습니다(초당 읽기: 시간을 재지 ` +
      `않은 ${ko(reads - timedReads)}번 뒤 ${ko(timedReads / ROUNDS)}번씩 ${ROUNDS}회 잰 값의 중앙값, DB 쿼리: ` +
      `재지 않은 읽기를 포함해 bun:sqlite 드라이버가 실행한 모든 문장). 캐시를 끄면 모든 읽기가 SQL을 실행합니다: ` +
      `쿼리 ${ko(off.statements)}개. L1은 이 프로세스의 메모리에서 답합니다: 쿼리 ${ko(l1.statements)}개, 상품마다 ` +
      `첫 읽기뿐이며(그동안 도착한 독자는 그 한 번의 조회를 기다렸습니다: single flight) 초당 읽기는 캐시 없음의 ` +
      `${ratio(l1, off)}배입니다. L1 + Redis는 ${ko(l2.statements)}개: 거의 모든 읽기를 L1이 답하고, L1 사본은 ` +
      `CACHE_L1_TTL_MS(5초) 동안 살고 그 뒤에는 DB가 아니라 Redis에서 다시 옵니다(읽기 ${ko(l1Refills)}번). ` +
      `Redis는 채운 값을 그 Redis를 공유하는 모든 인스턴스에 줍니다(실습 stampede). L1 TTL을 0으로 하면 모든 읽기가 Redis 왕복입니다: 초당 ` +
      `${ko(redisOnly.readsPerSecond)}번` +
      (isRedisSlowerThanSqlite
        ? `으로 캐시 없음(${ko(off.readsPerSecond)}번)보다도 낮습니다: 로컬 SQLite 파일의 기본 키 조회는 ` +
          '마이크로초로, Redis 왕복보다 쌉니다. 읽기를 빠르게 하는 것은 L1이고, Redis는 인스턴스들이 채움과 ' +
          '무효화를 나누게 합니다.'
        : `, 캐시 없음은 ${ko(off.readsPerSecond)}번, L1은 ${ko(l1.readsPerSecond)}번입니다.`) +
      ' 네트워크 너머의 DB라면 아낀 쿼리마다 왕복도 하나씩 아낍니다.\n' +
      `L1 + Redis 읽기 뒤의 Redis 키(SCAN): ${keyList}. 가이드의 \`GET popularProducts::top10\`은 여기서 ` +
      `\`redis-cli GET ${popularKey}\`이고, \`redis-cli --scan --pattern '*cache:*'\`로 모두 볼 수 있습니다.`,
  }
  const answeredCell = (m: Measured) =>
    m.answered
      ? `${en(m.answered.l1)} / ${en(m.answered.l2)} / ${en(m.answered.db)}`
      : `- / - / ${en(m.statements)}`
  const per1000 = (m: Measured) =>
    m.statementsPer1000 >= 10 ? en(Math.round(m.statementsPer1000)) : m.statementsPer1000.toPrecision(2)
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'reads/s', ko: '초당 읽기' },
        { en: 'DB queries', ko: 'DB 쿼리' },
        { en: 'DB queries per 1,000 reads', ko: '읽기 1,000번당 DB 쿼리' },
        { en: 'reads answered from L1 / Redis / DB', ko: '읽기 응답 출처 L1 / Redis / DB' },
      ],
      rows: measured.map((m) => [m.way, m.readsPerSecond, m.statements, per1000(m), answeredCell(m)]),
    },
    explanation: (language: Language) => explanation[language],
  }
}
