/**
 * SPEC §7 rate limits, in process (the embedded default): 10 orders per member per window after authentication,
 * 100 requests per client IP over /api/v1 before it, 429 RATE_LIMITED with the draft RateLimit headers, nothing
 * created by a refused order, and health, metrics and docs never limited. Redis-backed limits:
 * test/limits/rate-limit-redis.test.ts.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { type TestResponse, useTestApp } from '../support/harness'
import { counterValue, freshProduct, orderBody, postOrder, snapshotOf } from '../support/order-fixtures'
import {
  expectAdmittedHeaders,
  expectRateLimited,
  rateLimitEnv,
  statusTally,
  waitForWindowStart,
} from '../support/rate-limit-fixtures'

describe('rate limit configuration', () => {
  test('defaults: 10 orders per member and 100 requests per IP, per 1 s window', () => {
    expect(loadConfig({}).rateLimit).toEqual({ ordersPerMember: 10, perIp: 100, windowMs: 1_000 })
  })

  test('0 turns a limit off; a negative or non-numeric limit stops the start, each named', () => {
    expect(loadConfig({ RATE_LIMIT_IP_PER_SECOND: '0' }).rateLimit.perIp).toBe(0)
    const start = () => loadConfig({ RATE_LIMIT_ORDERS_PER_SECOND: '-1', RATE_LIMIT_IP_PER_SECOND: 'many' })
    expect(start).toThrow(/RATE_LIMIT_ORDERS_PER_SECOND="-1"/)
    expect(start).toThrow(/RATE_LIMIT_IP_PER_SECOND="many"/)
  })
})

describe('POST /api/v1/orders per-member limit (in process)', () => {
  const { t, tokens } = useTestApp(rateLimitEnv({ orders: 10, ip: 100_000 }), { tokens: true })
  let productId: number

  beforeAll(async () => {
    productId = await freshProduct(t, tokens.seller, 1_000)
  })

  test('a burst of 100 orders from one buyer admits exactly 10 in the window; the rest are 429 and create nothing', async () => {
    const before = snapshotOf(t, [productId])
    await waitForWindowStart()
    const burst = await Promise.all(
      Array.from({ length: 100 }, () => postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]))),
    )

    const tally = statusTally(burst)
    expect(tally, JSON.stringify(tally)).toEqual({ 201: 10, 429: 90 })
    for (const res of burst.filter((r) => r.status === 201)) expectAdmittedHeaders(res, 10)
    for (const res of burst.filter((r) => r.status === 429)) expectRateLimited(res, 10)
    const after = snapshotOf(t, [productId])
    expect(after.orders - before.orders).toBe(10)
    expect(after.outbox - before.outbox).toBe(10)
    expect(after.stock[0]!.stock).toBe(before.stock[0]!.stock - 10)
    expect(await counterValue(t, 'marketplace_rate_limit_rejections_total', '{scope="orders"}')).toBe(90)
  })

  test('the allowance is per member: another buyer still orders while the first is refused', async () => {
    await waitForWindowStart()
    const first: TestResponse[] = []
    for (let i = 0; i < 11; i++) {
      first.push(await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }])))
    }
    expect(statusTally(first), first.at(-1)?.text).toEqual({ 201: 10, 429: 1 })
    const other = await postOrder(t, tokens.otherBuyer, orderBody([{ productId, quantity: 1 }]))
    expect(other.status, other.text).toBe(201)
  })

  test('after authentication: without a token it stays 401, a malformed order 400, neither spends the allowance', async () => {
    await waitForWindowStart()
    for (let i = 0; i < 15; i++) {
      const anonymous = await postOrder(t, '', orderBody([{ productId, quantity: 1 }]))
      expect(anonymous.status, anonymous.text).toBe(401)
      const malformed = await postOrder(t, tokens.buyer, { orderItems: 'nope' })
      expect(malformed.status, malformed.text).toBe(400)
    }
    const res = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]))
    expect(res.status, res.text).toBe(201)
    expect(res.headers.get('ratelimit'), res.text).toMatch(/^limit=10, remaining=9, /)
  })
})

describe('per-IP limit over /api/v1 (a real listening server, the IP from the socket)', () => {
  const IP_LIMIT = 20
  const { t, server } = useTestApp(rateLimitEnv({ orders: 10, ip: IP_LIMIT }), { listen: true })
  const get = async (path: string, headers: Record<string, string> = {}): Promise<TestResponse> => {
    const response = await fetch(`${server.baseUrl}${path}`, { headers })
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    return { status: response.status, headers: response.headers, body, text }
  }

  test('30 reads from one IP in a window: 20 admitted (no headers on plain reads), 10 refused with 429', async () => {
    await waitForWindowStart()
    const responses: TestResponse[] = []
    for (let i = 0; i < 30; i++) responses.push(await get('/api/v1/products/1'))

    expect(statusTally(responses), responses.at(-1)?.text).toEqual({ 200: 20, 429: 10 })
    expect(responses[0]!.headers.get('ratelimit'), responses[0]!.text).toBeNull()
    for (const res of responses.slice(20)) expectRateLimited(res, IP_LIMIT)
    expect(await counterValue(t, 'marketplace_rate_limit_rejections_total', '{scope="ip"}')).toBe(10)
  })

  test('without TRUSTED_PROXIES X-Forwarded-For is ignored: two forwarded clients on one socket share a bucket', async () => {
    await waitForWindowStart()
    const responses: TestResponse[] = []
    for (let i = 0; i < IP_LIMIT + 1; i++) {
      const forwardedFor = i % 2 === 0 ? '203.0.113.1' : '203.0.113.2'
      responses.push(await get('/api/v1/categories', { 'x-forwarded-for': forwardedFor }))
    }

    expect(statusTally(responses), responses.at(-1)?.text).toEqual({ 200: IP_LIMIT, 429: 1 })
  })

  test('health, metrics, docs and Swagger UI are never limited, even from an IP over its limit', async () => {
    await waitForWindowStart()
    for (let i = 0; i <= IP_LIMIT; i++) await get('/api/v1/categories')
    expect((await get('/api/v1/categories')).status).toBe(429)

    for (const path of [
      '/actuator/health/readiness',
      '/actuator/prometheus',
      '/v3/api-docs',
      '/swagger-ui',
    ]) {
      for (let i = 0; i < 5; i++) {
        const res = await get(path)
        expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(200)
        expect(res.headers.get('ratelimit'), path).toBeNull()
      }
    }
  })
})

describe('per-IP limit behind TRUSTED_PROXIES=127.0.0.1/32 (a real server: the test client is the proxy)', () => {
  const IP_LIMIT = 5
  const { server } = useTestApp(
    { ...rateLimitEnv({ orders: 10, ip: IP_LIMIT }), TRUSTED_PROXIES: '127.0.0.1/32' },
    { listen: true },
  )
  const getAs = async (forwardedFor: string): Promise<TestResponse> => {
    const response = await fetch(`${server.baseUrl}/api/v1/categories`, {
      headers: { 'x-forwarded-for': forwardedFor },
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: JSON.parse(text), text }
  }

  test('two forwarded clients get a bucket each: both are admitted up to the limit, then each is refused', async () => {
    await waitForWindowStart()
    const first: TestResponse[] = []
    const second: TestResponse[] = []
    for (let i = 0; i < IP_LIMIT; i++) {
      first.push(await getAs('203.0.113.1'))
      second.push(await getAs('203.0.113.2'))
    }
    first.push(await getAs('203.0.113.1'))
    second.push(await getAs('203.0.113.2'))

    expect(statusTally(first), first.at(-1)?.text).toEqual({ 200: IP_LIMIT, 429: 1 })
    expect(statusTally(second), second.at(-1)?.text).toEqual({ 200: IP_LIMIT, 429: 1 })
    expectRateLimited(first.at(-1)!, IP_LIMIT)
  })

  test('a spoofed left-most entry does not escape the limit: the right-most untrusted address is counted', async () => {
    await waitForWindowStart()
    const responses: TestResponse[] = []
    for (let i = 0; i < IP_LIMIT + 3; i++) {
      responses.push(await getAs(`198.51.100.${i + 1}, 203.0.113.9`))
    }

    expect(statusTally(responses), responses.at(-1)?.text).toEqual({ 200: IP_LIMIT, 429: 3 })
  })

  test('trusted hops are skipped: a client behind two proxies is counted, not the inner proxy', async () => {
    await waitForWindowStart()
    const responses: TestResponse[] = []
    for (let i = 0; i < IP_LIMIT + 1; i++) responses.push(await getAs('203.0.113.20, 127.0.0.1'))
    const other = await getAs('203.0.113.21, 127.0.0.1')

    expect(statusTally(responses), responses.at(-1)?.text).toEqual({ 200: IP_LIMIT, 429: 1 })
    expect(other.status, other.text).toBe(200)
  })
})
