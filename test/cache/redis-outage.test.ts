/**
 * The read cache when Redis fails (SPEC §7, issue 4), with the settings the app ships with: the default command
 * timeout, circuit breaker thresholds and rate limits (the harness turns the limits off for other files; here the
 * per-IP limiter's batches share the `redis` breaker with the cache, as in production). Killed mid-run, reads and
 * writes go on against the database with zero 5xx and stay correct; the breaker opens (health and metrics show
 * it) and, once Redis is back at the same address, probes it and closes, and the cache fills Redis again, all
 * without restarting the app. Hung (SIGSTOP), the breaker opens after REDIS_BREAKER_FAILURES failed commands and
 * from then on the app sends Redis nothing, as Redis's own MONITOR feed shows. A Redis of the test's own
 * (throwaway-redis.ts), since this one gets killed.
 */
import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { redisKeyPrefix, type TestResponse, useTestApp } from '../support/harness'
import { counterValue, freshProduct } from '../support/order-fixtures'
import { monitorRedis, redisCli, useThrowawayRedis } from '../support/throwaway-redis'

const DEFAULTS = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })
const BREAKER = DEFAULTS.redis!.breaker
/**
 * Requests through app.handle have no socket, so all count against one client IP: the load stays under the
 * default per-IP limit (100 per 1 s window). A loop pass takes at least its pause, so a window holds at most
 * 18 writer passes (2 requests) and 13 reader passes (3 requests): 75 requests, plus the setup's few.
 */
const WRITER_PAUSE_MS = 60
const READER_PAUSE_MS = 80

const prefix = redisKeyPrefix('cache-outage')
const redis = useThrowawayRedis()
const { t, tokens } = useTestApp(
  async () => ({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_ORDERS_PER_SECOND: String(DEFAULTS.rateLimit.ordersPerMember),
    RATE_LIMIT_IP_PER_SECOND: String(DEFAULTS.rateLimit.perIp),
    // not a Redis setting: a short L1 sends more of the reads to Redis during the outage
    CACHE_L1_TTL_MS: '50',
  }),
  { tokens: true },
)

const health = async () => (await t.request('GET', '/actuator/health', { token: tokens.admin })).body
const breakerGauge = () => counterValue(t, 'marketplace_circuit_breaker_state', '{breaker="redis"}')
const detailKey = (id: number) => `${prefix}cache:product-detail:v1:${id}`

describe('Redis killed mid-run, then restarted', () => {
  test('zero 5xx and correct reads throughout; the breaker opens, then closes and the cache refills Redis', async () => {
    const id = await freshProduct(t, tokens.seller, 1_000)
    expect((await t.request('GET', `/api/v1/products/${id}`)).status).toBe(200)
    expect(redisCli(redis.url, 'exists', detailKey(id))).toBe('1')

    const responses: TestResponse[] = []
    const stale: string[] = []
    let price = 1_000
    let isRunning = true
    // a writer changing the price and checking its own next read, and a reader of every cached route
    const writer = async () => {
      while (isRunning) {
        price += 1
        const patched = await t.request('PATCH', `/api/v1/products/${id}`, {
          token: tokens.seller,
          body: { price },
        })
        const read = await t.request('GET', `/api/v1/products/${id}`)
        responses.push(patched, read)
        if (patched.status === 200 && read.body.price !== price) stale.push(`${read.body.price} != ${price}`)
        await Bun.sleep(WRITER_PAUSE_MS)
      }
    }
    const reader = async () => {
      while (isRunning) {
        for (const path of [`/api/v1/products/${id}`, '/api/v1/products/popular', '/api/v1/categories']) {
          responses.push(await t.request('GET', path))
        }
        await Bun.sleep(READER_PAUSE_MS)
      }
    }
    const load = Promise.all([writer(), reader()])

    await Bun.sleep(200)
    redis.process.kill('SIGKILL')
    await redis.process.exited
    await Bun.sleep(800)
    const during = await health()
    expect(during.components.redis.status).toBe('DOWN')
    expect(during.components.circuitBreakers).toMatchObject({ status: 'DOWN', details: { redis: 'OPEN' } })
    expect(await breakerGauge()).toBe(1)

    await redis.restart()
    // the breaker half-opens after REDIS_BREAKER_OPEN_MS, a probe succeeds once ioredis has reconnected
    const deadline = Date.now() + BREAKER.openMs * 3
    while (Date.now() < deadline && (await health()).components.circuitBreakers.details.redis !== 'CLOSED') {
      await Bun.sleep(50)
    }
    await Bun.sleep(300)
    isRunning = false
    await load

    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(new Set(statuses)).toEqual(new Set([200]))
    expect(stale).toEqual([])
    const after = await health()
    expect(after.components.redis.status).toBe('UP')
    expect(after.components.circuitBreakers).toEqual({
      status: 'UP',
      details: { redis: 'CLOSED', 'payment-gateway': 'CLOSED', recommendations: 'CLOSED' },
    })
    expect(await breakerGauge()).toBe(0)
    // the cache uses Redis again: the (empty) new Redis holds the product once it was read
    expect((await t.request('GET', `/api/v1/products/${id}`)).status).toBe(200)
    expect(JSON.parse(redisCli(redis.url, 'get', detailKey(id)))).toMatchObject({ id, price })
    console.log(`[cache-outage] ${responses.length} responses across the outage, 0 5xx`)
  }, 60_000)
})

describe('Redis hung (SIGSTOP)', () => {
  test('the breaker opens within REDIS_BREAKER_FAILURES reads, and the reads after that send Redis nothing', async () => {
    const existing = await freshProduct(t, tokens.seller, 10)
    const monitor = await monitorRedis(redis.url)
    // the app's own connection, past the breaker: only to send markers into the order Redis runs commands in
    const client = t.deps.redis!.client
    const [openedMark, endMark] = [`opened-${crypto.randomUUID()}`, `end-${crypto.randomUUID()}`]
    // a new id each read: every read misses L1 and asks Redis (one GET) unless the breaker refuses
    const ids = [existing, ...Array.from({ length: 4 * BREAKER.failureThreshold }, (_, i) => 900_000 + i)]
    const maxReadsUntilOpen = 2 * BREAKER.failureThreshold
    const statuses: number[] = []
    let readsUntilOpen = 0
    let stateAfterReads = ''

    redis.process.kill('SIGSTOP')
    try {
      while (readsUntilOpen < maxReadsUntilOpen && t.deps.breakers.states().redis !== 'OPEN') {
        statuses.push((await t.request('GET', `/api/v1/products/${ids[readsUntilOpen]}`)).status)
        readsUntilOpen += 1
      }
      // queued behind everything the app sent so far; it times out here, Redis runs it after SIGCONT
      client.echo(openedMark).catch(() => undefined)
      for (const id of ids.slice(readsUntilOpen)) {
        statuses.push((await t.request('GET', `/api/v1/products/${id}`)).status)
      }
      stateAfterReads = t.deps.breakers.states().redis ?? ''
    } finally {
      redis.process.kill('SIGCONT')
    }
    await client.echo(endMark)
    const ran = await monitor.through(endMark)
    monitor.close()

    const appSource = ran.at(-1)!.source
    const fromApp = ran.filter((c) => c.source === appSource).map((c) => c.args)
    const opened = fromApp.findIndex((args) => args[1] === openedMark)
    const beforeOpen = fromApp.slice(0, opened)
    const afterOpen = fromApp.slice(opened + 1, -1)
    const cacheGets = beforeOpen.filter(([name, key]) => name === 'get' && key?.startsWith(`${prefix}cache:`))

    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(statuses[0]).toBe(200)
    expect(readsUntilOpen).toBeLessThanOrEqual(BREAKER.failureThreshold)
    expect(cacheGets.length).toBeLessThanOrEqual(BREAKER.failureThreshold)
    expect(cacheGets.map(([, key]) => key)).toEqual(ids.slice(0, cacheGets.length).map(detailKey))
    // every read after the breaker opened, and every per-IP batch due meanwhile, stayed in the app (the probe
    // comes REDIS_BREAKER_OPEN_MS after opening; these reads take milliseconds)
    expect(afterOpen).toEqual([])
    expect(stateAfterReads).toBe('OPEN')
    console.log(
      `[cache-outage] hung Redis: OPEN after ${readsUntilOpen} reads, ${beforeOpen.length} commands sent before, ` +
        `0 after (${ids.length - readsUntilOpen} reads)`,
    )
  }, 30_000)
})
