/**
 * The token blacklist and login throttling on the real Redis (`bun test` starts one on first use,
 * test/support/services.ts): shared by two app instances on one database file, readable with redis-cli, expiring
 * with the token, and failing open, never 5xx, when Redis goes away (a second throwaway redis-server, started and killed here). And
 * what the `redis` circuit breaker counts: a pipeline or MULTI with one failed command is a failure.
 */
import { describe, expect, test } from 'bun:test'
import { BrokenCircuitError } from 'cockatiel'
import { loadConfig } from '../../src/config'
import { loginFrom } from '../support/client-address'
import { DEMO, redisKeyPrefix, redisTestEnv, type TestApp, useTestApp } from '../support/harness'
import { redisCli, useThrowawayRedis } from '../support/throwaway-redis'

const COMMAND_TIMEOUT_MS = 300

function jtiOf(token: string): { jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
}

describe('Redis configuration', () => {
  test('a REDIS_URL that is not a redis:// URL stops the start, named but not echoed', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(
      /REDIS_URL=\(redacted\)/,
    )
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).not.toThrow(/hunter2/)
    expect(() => loadConfig({ REDIS_COMMAND_TIMEOUT_MS: '0' })).toThrow(/REDIS_COMMAND_TIMEOUT_MS/)
  })

  test('defaults: prefix marketplace:, 500 ms command timeout, breaker 5 failures / 5 s; no REDIS_URL means no Redis', () => {
    expect(loadConfig({}).redis).toBeUndefined()
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'marketplace:',
      commandTimeoutMs: 500,
      breaker: { failureThreshold: 5, openMs: 5_000 },
    })
  })
})

describe('the redis circuit breaker and batches (pipeline, MULTI)', () => {
  const { t, env } = useTestApp(() => redisTestEnv('redis-breaker'))

  test('a batch whose commands all succeed resolves with their replies, in order', async () => {
    const key = `${env.REDIS_KEY_PREFIX}counter`
    const replies = await t.deps.redis!.runBatch((c) => c.multi().incrby(key, 2).incrby(key, 3))
    expect(replies).toEqual([2, 5])
    expect(t.deps.breakers.states().redis).toBe('CLOSED')
  })

  test('one failed command fails the whole batch, the breaker counts it, and once open no batch reaches Redis', async () => {
    const redis = t.deps.redis!
    const { failureThreshold } = t.deps.config.redis!.breaker
    const notANumber = `${env.REDIS_KEY_PREFIX}not-a-number`
    const untouched = `${env.REDIS_KEY_PREFIX}untouched`
    redisCli(env.REDIS_URL, 'set', notANumber, 'abc')

    // exec() would resolve here, with [[ReplyError, null]]: the breaker must see a failure
    await expect(redis.runBatch((c) => c.pipeline().get(notANumber).incr(notANumber))).rejects.toThrow(
      /not an integer/,
    )
    for (let i = 1; i < failureThreshold; i++) {
      expect(t.deps.breakers.states().redis).toBe('CLOSED')
      await expect(redis.runBatch((c) => c.multi().incr(notANumber))).rejects.toThrow(/not an integer/)
    }
    expect(t.deps.breakers.states().redis).toBe('OPEN')

    await expect(redis.runBatch((c) => c.multi().set(untouched, '1'))).rejects.toBeInstanceOf(
      BrokenCircuitError,
    )
    expect(redisCli(env.REDIS_URL, 'exists', untouched)).toBe('0')
    expect(redisCli(env.REDIS_URL, 'get', notANumber)).toBe('abc')
  })

  test('run does not compile with exec() replies, which would reach the breaker as a success', () => {
    const redis = t.deps.redis!
    // @ts-expect-error pipelines and MULTI go through runBatch
    const unchecked = () => redis.run((c) => c.pipeline().incr('k').exec())
    expect(typeof unchecked).toBe('function')
  })
})

describe('token blacklist and login throttling shared through Redis', () => {
  const { t: first, second, env } = useTestApp(() => redisTestEnv('redis'), { secondInstance: true })

  test('logout writes <prefix>token:blacklist:<jti>, which Redis drops when the token expires', async () => {
    const token = await first.login(DEMO.seller.email, DEMO.seller.password)
    const res = await first.request('POST', '/api/v1/auth/logout', { token })
    expect(res.status, res.text).toBe(204)

    const { jti, exp } = jtiOf(token)
    const key = `${env.REDIS_KEY_PREFIX}token:blacklist:${jti}`
    expect(redisCli(env.REDIS_URL, '--scan', '--pattern', `${env.REDIS_KEY_PREFIX}token:*`)).toBe(key)
    expect(redisCli(env.REDIS_URL, 'get', key)).toBe('1')
    const pttl = Number(redisCli(env.REDIS_URL, 'pttl', key))
    const msUntilExp = exp * 1000 - Date.now()
    expect(pttl).toBeLessThanOrEqual(msUntilExp + 50)
    expect(pttl).toBeGreaterThan(msUntilExp - 2_000)
  })

  test('an access token logged out on one instance is refused by the second one', async () => {
    const token = await first.login(DEMO.buyer.email, DEMO.buyer.password)
    const before = await second.request('GET', '/api/v1/members/me', { token })
    expect(before.status, before.text).toBe(200)

    const logout = await first.request('POST', '/api/v1/auth/logout', { token })
    expect(logout.status, logout.text).toBe(204)

    const after = await second.request('GET', '/api/v1/members/me', { token })
    expect(after.status, after.text).toBe(401)
    expect(after.body.detail, after.text).toContain('revoked')
  })

  test('five failed logins from one address spread over both instances block that pair on either (429, Retry-After)', async () => {
    const member = { email: 'throttled@example.com', password: 'password123' }
    const signup = await first.request('POST', '/api/v1/auth/signup', {
      body: { ...member, name: 'Throttled', role: 'BUYER' },
    })
    expect(signup.status, signup.text).toBe(201)
    const wrong = { email: member.email, password: 'wrong-password' }
    for (const [i, app] of [first, second, first, second, first].entries()) {
      const res = await app.request('POST', '/api/v1/auth/login', { body: wrong })
      expect(res.status, `attempt ${i + 1}: ${res.text}`).toBe(401)
    }
    // app.handle() has no socket, so the address is 'unknown' on both instances
    const key = `${env.REDIS_KEY_PREFIX}login:failures:pair:unknown/${member.email}`
    expect(redisCli(env.REDIS_URL, 'get', key)).toBe('5')
    expect(
      redisCli(env.REDIS_URL, 'get', `${env.REDIS_KEY_PREFIX}login:failures:account:${member.email}`),
    ).toBe('5')

    for (const app of [first, second]) {
      const res = await app.request('POST', '/api/v1/auth/login', { body: member })
      expect(res.status, res.text).toBe(429)
      const retryAfter = Number(res.headers.get('retry-after'))
      expect(retryAfter, res.text).toBeGreaterThan(290)
      expect(retryAfter, res.text).toBeLessThanOrEqual(300)
    }
  })

  test('a wrong-password storm from one address over both instances: that address gets 429 on either, the owner signs in from another on either', async () => {
    const servers = [first.listen(), second.listen()]
    try {
      const member = { email: 'storm-target@example.com', password: 'password123' }
      const signup = await first.request('POST', '/api/v1/auth/signup', {
        body: { ...member, name: 'Storm Target', role: 'BUYER' },
      })
      expect(signup.status, signup.text).toBe(201)
      for (let attempt = 0; attempt < 12; attempt++) {
        const res = await loginFrom('127.0.0.2', servers[attempt % 2]!.baseUrl, member.email, 'guess')
        expect(res.status, `attempt ${attempt + 1}: ${res.text}`).toBe(attempt < 5 ? 401 : 429)
      }
      const pairKey = `${env.REDIS_KEY_PREFIX}login:failures:pair:127.0.0.2/${member.email}`
      expect(redisCli(env.REDIS_URL, 'get', pairKey)).toBe('5')

      for (const server of servers) {
        const attacker = await loginFrom('127.0.0.2', server.baseUrl, member.email, member.password)
        const owner = await loginFrom('127.0.0.3', server.baseUrl, member.email, member.password)
        expect(attacker.status, attacker.text).toBe(429)
        expect(owner.status, owner.text).toBe(200)
      }
    } finally {
      for (const server of servers) await server.stop()
    }
  })

  test('health shows redis UP with the PING latency', async () => {
    const admin = await second.login(DEMO.admin.email, DEMO.admin.password)
    const res = await second.request('GET', '/actuator/health', { token: admin })
    expect(res.status, res.text).toBe(200)
    expect(res.body.components.redis.status, res.text).toBe('UP')
    expect(typeof res.body.components.redis.details.latencyMs, res.text).toBe('number')
  })
})

describe('the signup limit shared through Redis', () => {
  // a day-long window (aligned to the clock) keeps the window's edge out of the test
  const {
    t: first,
    second,
    env,
  } = useTestApp(
    async () => ({
      ...(await redisTestEnv('redis-signup')),
      SIGNUP_MAX_PER_IP: '2',
      SIGNUP_WINDOW_SECONDS: '86400',
    }),
    { secondInstance: true },
  )

  test('signups from one address count once over both instances: the third is a 429 on either', async () => {
    const signup = (app: TestApp, email: string) =>
      app.request('POST', '/api/v1/auth/signup', {
        body: { email, password: 'password123', name: 'Shared Count', role: 'BUYER' },
      })
    const admitted = [
      await signup(first, 'shared-1@example.com'),
      await signup(second, 'shared-2@example.com'),
    ]

    const refused = [
      await signup(first, 'shared-3@example.com'),
      await signup(second, 'shared-3@example.com'),
    ]

    for (const res of admitted) expect(res.status, res.text).toBe(201)
    for (const res of refused) {
      expect(res.status, res.text).toBe(429)
      expect(res.body.code, res.text).toBe('RATE_LIMITED')
      expect(res.headers.get('ratelimit-policy'), res.text).toBe('2;w=86400')
    }
    const window = Math.floor(Date.now() / 86_400_000)
    // app.handle() has no socket, so the address is 'unknown' on both instances
    const key = `${env.REDIS_KEY_PREFIX}ratelimit:signup:unknown:${window}`
    expect(redisCli(env.REDIS_URL, 'get', key)).toBe('4')
  })
})

describe('when Redis goes away', () => {
  const redis = useThrowawayRedis()
  const { t: app, tokens } = useTestApp(
    async () => ({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redisKeyPrefix('redis-outage'),
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    }),
    { tokens: true },
  )

  test('a Redis that stops answering costs a request at most the command timeout, and no 5xx', async () => {
    redis.process.kill('SIGSTOP')
    try {
      const startedAt = performance.now()
      const res = await app.request('GET', '/api/v1/members/me', { token: tokens.buyer })
      const elapsedMs = performance.now() - startedAt
      expect(res.status, res.text).toBe(200)
      expect(elapsedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 20)
      expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + 700)
    } finally {
      redis.process.kill('SIGCONT')
    }
  })

  test('with Redis stopped: valid tokens work at once, logins answer, health shows redis DOWN', async () => {
    redis.process.kill('SIGKILL')
    await redis.process.exited
    await Bun.sleep(50)

    const startedAt = performance.now()
    const me = await app.request('GET', '/api/v1/members/me', { token: tokens.buyer })
    expect(me.status, me.text).toBe(200)
    expect(performance.now() - startedAt).toBeLessThan(COMMAND_TIMEOUT_MS)

    const badLogin = await app.request('POST', '/api/v1/auth/login', {
      body: { email: DEMO.buyer.email, password: 'wrong-password' },
    })
    expect(badLogin.status, badLogin.text).toBe(401)
    const goodLogin = await app.request('POST', '/api/v1/auth/login', { body: DEMO.buyer })
    expect(goodLogin.status, goodLogin.text).toBe(200)

    const logout = await app.request('POST', '/api/v1/auth/logout', { token: tokens.seller })
    expect(logout.status, logout.text).toBe(503)
    expect(logout.body.code, logout.text).toBe('SERVICE_UNAVAILABLE')

    const health = await app.request('GET', '/actuator/health', { token: tokens.admin })
    expect(health.status, health.text).toBe(503)
    expect(health.body.components.redis.status, health.text).toBe('DOWN')
    expect(health.body.components.db.status, health.text).toBe('UP')
    const readiness = await app.request('GET', '/actuator/health/readiness')
    expect(readiness.status, readiness.text).toBe(200)
  })
})
