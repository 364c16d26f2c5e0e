/**
 * Browser-facing response headers: the security headers on every kind of response (src/http/security-headers.ts),
 * Swagger UI's own CSP (src/http/openapi.ts; `bun run check:swagger-offline` proves it renders under it), and
 * CORS from CORS_ORIGINS (src/http/cors.ts): off by default, exact origins, preflight answered before the rate
 * limit.
 */
import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { loadConfig } from '../../src/config'
import { expectProblem, type TestApp, type TestResponse, useTestApp } from '../support/harness'
import { rateLimitEnv, waitForWindowStart } from '../support/rate-limit-fixtures'

const SHOP = 'https://shop.example'
const LOCAL_DEV = 'http://localhost:5173'

function expectSecurityHeaders(res: TestResponse, what: string): void {
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(res.headers.get('referrer-policy'), what).toBe('no-referrer')
  expect(res.headers.get('x-frame-options'), what).toBe('DENY')
  expect(res.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'")
}

function expectNoCorsHeaders(res: TestResponse): void {
  const cors = [...res.headers.keys()].filter((name) => name.startsWith('access-control-'))
  expect(cors, res.text).toEqual([])
}

describe('security headers (CORS off, the default)', () => {
  const { t, tokens } = useTestApp({}, { tokens: true })

  test('a product read, served from the cache the second time, carries them both times', async () => {
    const first = await t.request('GET', '/api/v1/products/1')
    const cached = await t.request('GET', '/api/v1/products/1')

    expect(cached.status, cached.text).toBe(200)
    expectSecurityHeaders(first, 'first read')
    expectSecurityHeaders(cached, 'cached read')
    expect(cached.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
  })

  test.each([
    ['a 401 problem', 'GET', '/api/v1/members/me'],
    ['a 404 problem', 'GET', '/api/v1/nothing-here'],
    ['a 405 problem', 'DELETE', '/api/v1/auth/login'],
    ['a list', 'GET', '/api/v1/categories'],
    ['health', 'GET', '/actuator/health'],
    ['the metrics scrape', 'GET', '/actuator/prometheus'],
    ['the OpenAPI document', 'GET', '/v3/api-docs'],
    ['a Swagger UI asset', 'GET', '/swagger-ui/assets/swagger-ui.css'],
  ])('%s carries them', async (what, method, path) => {
    expectSecurityHeaders(await t.request(method, path), what)
  })

  test('a created resource (201) and a 204 carry them', async () => {
    const created = await t.request('POST', '/api/v1/auth/signup', {
      body: { email: 'headers@example.com', password: 'password123', name: 'Headers', role: 'BUYER' },
    })
    const login = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'headers@example.com', password: 'password123' },
    })
    const loggedOut = await t.request('POST', '/api/v1/auth/logout', { token: login.body.accessToken })

    expect(created.status, created.text).toBe(201)
    expect(loggedOut.status, loggedOut.text).toBe(204)
    expectSecurityHeaders(created, '201')
    expectSecurityHeaders(loggedOut, '204')
  })

  test('a write by a signed-in member carries them', async () => {
    const res = await t.request('PATCH', '/api/v1/members/me', { token: tokens.buyer, body: { name: 'Hdr' } })

    expect(res.status, res.text).toBe(200)
    expectSecurityHeaders(res, 'PATCH')
  })

  test("Swagger UI has its own CSP: scripts from this origin plus its one inline script's hash, never framed", async () => {
    const res = await t.request('GET', '/swagger-ui')
    const csp = res.headers.get('content-security-policy') ?? ''
    const inline = res.text.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? ''
    const inlineHash = createHash('sha256').update(inline).digest('base64')

    expect(res.status, res.text).toBe(200)
    expect(inline.length, res.text).toBeGreaterThan(0)
    expect(csp).toContain(`script-src 'self' 'sha256-${inlineHash}'`)
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })

  test('without CORS_ORIGINS a preflight is the 405 problem it always was, with no CORS headers and no Vary', async () => {
    const res = await t.request('OPTIONS', '/api/v1/products/1', {
      headers: { origin: SHOP, 'access-control-request-method': 'PATCH' },
    })

    expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expectNoCorsHeaders(res)
    expect(res.headers.get('vary')).toBeNull()
  })

  test('without CORS_ORIGINS a cross-origin read gets no CORS headers', async () => {
    const res = await t.request('GET', '/api/v1/products/1', { headers: { origin: SHOP } })

    expect(res.status, res.text).toBe(200)
    expectNoCorsHeaders(res)
  })
})

const preflight = (t: TestApp, origin: string) =>
  t.request('OPTIONS', '/api/v1/products/1', {
    headers: {
      origin,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'authorization, content-type, if-match',
    },
  })

describe('CORS with CORS_ORIGINS set', () => {
  const { t } = useTestApp({ CORS_ORIGINS: `${SHOP}, ${LOCAL_DEV}` })

  test('a preflight from an allowed origin is a 204 with the methods and request headers the API takes', async () => {
    const res = await preflight(t, SHOP)

    expect(res.status, res.text).toBe(204)
    expect(res.text).toBe('')
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP)
    const methods = res.headers.get('access-control-allow-methods')?.split(/,\s*/)
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
    const allowed = res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'if-match']),
    )
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    expect(res.headers.get('vary')).toBe('Origin')
    expectSecurityHeaders(res, 'preflight')
  })

  test('a preflight from a disallowed origin gets no CORS headers (the usual 405 problem)', async () => {
    const res = await preflight(t, 'https://evil.example')

    expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expectNoCorsHeaders(res)
    expect(res.headers.get('vary')).toBe('Origin')
  })

  test('origins match exactly: another port, scheme or a suffix is not allowed', async () => {
    for (const origin of ['https://shop.example:8443', 'http://shop.example', 'https://shop.example.evil']) {
      expectNoCorsHeaders(await t.request('GET', '/api/v1/categories', { headers: { origin } }))
    }
  })

  test('a read from an allowed origin gets Allow-Origin, the exposed headers and Vary: Origin', async () => {
    const res = await t.request('GET', '/api/v1/products/1', { headers: { origin: LOCAL_DEV } })

    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(LOCAL_DEV)
    const exposed = res.headers.get('access-control-expose-headers')?.toLowerCase().split(/,\s*/)
    expect(exposed).toEqual(
      expect.arrayContaining([
        'x-request-id',
        'etag',
        'location',
        'ratelimit',
        'ratelimit-policy',
        'retry-after',
        'idempotent-replayed',
      ]),
    )
    expect(res.headers.get('vary')).toBe('Origin')
  })

  test('a request without Origin still gets Vary: Origin, so a cache keeps the answers apart', async () => {
    const res = await t.request('GET', '/api/v1/categories')

    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('vary')).toBe('Origin')
    expectNoCorsHeaders(res)
  })

  test('a problem (401) to an allowed origin carries Allow-Origin, so the browser lets the page read it', async () => {
    const res = await t.request('GET', '/api/v1/members/me', { headers: { origin: SHOP } })

    expectProblem(res, 401, 'UNAUTHENTICATED')
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP)
  })
})

describe('CORS and the per-IP limit', () => {
  const IP_LIMIT = 3
  const { t } = useTestApp({ CORS_ORIGINS: SHOP, ...rateLimitEnv({ orders: 10, ip: IP_LIMIT }) })

  test('preflights are answered before the per-IP limit and never spend it', async () => {
    await waitForWindowStart()
    const preflights = await Promise.all(Array.from({ length: IP_LIMIT * 3 }, () => preflight(t, SHOP)))
    const reads: TestResponse[] = []
    for (let i = 0; i <= IP_LIMIT; i++) {
      reads.push(await t.request('GET', '/api/v1/categories', { headers: { origin: SHOP } }))
    }

    expect(preflights.map((r) => r.status)).toEqual(Array(IP_LIMIT * 3).fill(204))
    expect(reads.map((r) => r.status)).toEqual([...Array(IP_LIMIT).fill(200), 429])
    expect(reads.at(-1)!.headers.get('access-control-allow-origin')).toBe(SHOP)
  })
})

describe('CORS_ORIGINS configuration', () => {
  test('unset is no origin at all; a list is trimmed', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([])
    expect(loadConfig({ CORS_ORIGINS: ` ${SHOP} ,${LOCAL_DEV},` }).http.corsOrigins).toEqual([
      SHOP,
      LOCAL_DEV,
    ])
  })

  test.each(['https://shop.example/', 'https://shop.example/app', 'shop.example', '*', 'ftp://shop.example'])(
    'CORS_ORIGINS=%s stops the start, naming the variable',
    (value) => {
      expect(() => loadConfig({ CORS_ORIGINS: `${SHOP},${value}` })).toThrow(/CORS_ORIGINS=/)
    },
  )
})
