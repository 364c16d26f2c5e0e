/**
 * The read cache when Redis fails (SPEC §7, issue 4): killed mid-run, reads and writes go on against the
 * database with zero 5xx and stay correct; the `redis` circuit breaker opens (health and metrics show it) and,
 * once Redis is back at the same address, probes it and closes, and the cache fills Redis again, all without
 * restarting the app. A Redis of the test's own (throwaway-redis.ts), since this one gets killed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type Persona, redisTestEnv, type TestApp, type TestResponse } from './harness'
import { counterValue, freshProduct } from './order-fixtures'
import { redisCli, startThrowawayRedis } from './throwaway-redis'

const COMMAND_TIMEOUT_MS = 200
const BREAKER_OPEN_MS = 300

let redis: { url: string; process: Bun.Subprocess }
let t: TestApp
let tokens: Record<Persona, string>
let prefix: string

beforeAll(async () => {
  prefix = redisTestEnv('cache-outage').REDIS_KEY_PREFIX
  redis = await startThrowawayRedis()
  t = await createTestApp({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    REDIS_BREAKER_FAILURES: '3',
    REDIS_BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
    CACHE_L1_TTL_MS: '50',
  })
  tokens = await t.tokens()
})
afterAll(async () => {
  redis?.process.kill('SIGCONT')
  redis?.process.kill('SIGKILL')
  await t?.close()
})

const health = async () => (await t.request('GET', '/actuator/health', { token: tokens.admin })).body
const breakerGauge = () => counterValue(t, 'marketplace_circuit_breaker_state', '{breaker="redis"}')

describe('Redis killed mid-run, then restarted', () => {
  test('zero 5xx and correct reads throughout; the breaker opens, then closes and the cache refills Redis', async () => {
    const id = await freshProduct(t, tokens.seller, 1_000)
    const detailKey = `${prefix}cache:product-detail:v1:${id}`
    expect((await t.request('GET', `/api/v1/products/${id}`)).status).toBe(200)
    expect(redisCli(redis.url, 'exists', detailKey)).toBe('1')

    const responses: TestResponse[] = []
    const stale: string[] = []
    let price = 1_000
    let isRunning = true
    // a writer changing the price and checking its own next read, and readers of every cached route
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
        await Bun.sleep(5)
      }
    }
    const reader = async () => {
      while (isRunning) {
        for (const path of [`/api/v1/products/${id}`, '/api/v1/products/popular', '/api/v1/categories']) {
          responses.push(await t.request('GET', path))
        }
        await Bun.sleep(2)
      }
    }
    const load = Promise.all([writer(), reader(), reader()])

    await Bun.sleep(200)
    redis.process.kill('SIGKILL')
    await redis.process.exited
    await Bun.sleep(800)
    const during = await health()
    expect(during.components.redis.status).toBe('DOWN')
    expect(during.components.circuitBreakers).toMatchObject({ status: 'DOWN', details: { redis: 'OPEN' } })
    expect(await breakerGauge()).toBe(1)

    redis = await startThrowawayRedis(Number(new URL(redis.url).port))
    // the breaker half-opens after BREAKER_OPEN_MS, a probe succeeds once ioredis has reconnected
    const deadline = Date.now() + 10_000
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
    expect(after.components.circuitBreakers).toEqual({ status: 'UP', details: { redis: 'CLOSED' } })
    expect(await breakerGauge()).toBe(0)
    // the cache uses Redis again: the (empty) new Redis holds the product once it was read
    expect((await t.request('GET', `/api/v1/products/${id}`)).status).toBe(200)
    expect(JSON.parse(redisCli(redis.url, 'get', detailKey))).toMatchObject({ id, price })
    console.log(`[cache-outage] ${responses.length} responses across the outage, 0 5xx`)
  }, 30_000)

  test('a Redis that hangs (SIGSTOP): after a few command timeouts the breaker opens and reads stop waiting', async () => {
    const id = await freshProduct(t, tokens.seller, 10)
    redis.process.kill('SIGSTOP')
    try {
      const timings: number[] = []
      for (let i = 0; i < 12; i++) {
        const startedAt = performance.now()
        // a new id each time: every read misses L1 and asks Redis
        const res = await t.request('GET', `/api/v1/products/${i === 0 ? id : 900_000 + i}`)
        timings.push(performance.now() - startedAt)
        expect([200, 404]).toContain(res.status)
      }
      expect((await health()).components.circuitBreakers.details.redis).toBe('OPEN')
      // while open, no read waits for Redis at all
      expect(Math.max(...timings.slice(-5))).toBeLessThan(COMMAND_TIMEOUT_MS / 2)
      expect(Math.max(...timings)).toBeLessThan(COMMAND_TIMEOUT_MS * 3 + 100)
    } finally {
      redis.process.kill('SIGCONT')
    }
  })
})
