import { describe, expect, test } from 'bun:test'
import packageJson from '../../package.json'
import { expectProblem, type TestApp, useTestApp } from '../support/harness'

/** MANAGEMENT_TOKEN of this file's app: shows the health components to monitoring without a member account */
const MANAGEMENT_TOKEN = 'monitoring-token-0123456789abcdefghijklmnop'

const { t, tokens } = useTestApp({ MANAGEMENT_TOKEN }, { tokens: true })

const PROBLEM_MEMBERS = ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type']
/** generated ids: a per-process random prefix and a counter (src/http/request-context.ts) */
const GENERATED_ID = /^[0-9a-f]{10}-[0-9a-z]+$/
const TWO_MIB_JSON = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(2 * 1024 * 1024) })

/** A body sent in 64 KiB chunks with no Content-Length (Transfer-Encoding: chunked). */
function chunkedBody(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + 65_536))
      offset += 65_536
    },
  })
}

async function postStreamed(path: string, body: string, headers: Record<string, string>) {
  const server = t.listen()
  try {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: chunkedBody(body),
      duplex: 'half',
    } as RequestInit)
    const text = await res.text()
    return { status: res.status, text, body: JSON.parse(text) }
  } finally {
    await server.stop()
  }
}

describe('routing errors', () => {
  test('an unknown route is a 404 NOT_FOUND problem whose instance is the path', async () => {
    const res = await t.request('GET', '/api/v1/does-not-exist')

    expectProblem(res, 404, 'NOT_FOUND')
    expect(res.body.instance).toBe('/api/v1/does-not-exist')
  })

  test('a known path with the wrong method is a 405 with an Allow header listing the methods', async () => {
    const res = await t.request('DELETE', '/api/v1/members/me', { token: tokens.buyer })

    expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    const allowed = res.headers.get('allow')?.split(/,\s*/).sort()
    expect(allowed, res.text).toEqual(['GET', 'PATCH'])
  })

  test('GET on a POST-only route is a 405 with Allow: POST', async () => {
    const res = await t.request('GET', '/api/v1/auth/login')

    expectProblem(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow'), res.text).toBe('POST')
  })

  test.each([
    ['/api/v1/products/0', 'id'],
    ['/api/v1/products/abc', 'id'],
  ])('GET %s is a 400 VALIDATION_FAILED naming the path parameter, never a 500', async (path, field) => {
    const res = await t.request('GET', path)

    expectProblem(res, 400, 'VALIDATION_FAILED')
    expect(
      res.body.errors.map((e: { field: string }) => e.field),
      res.text,
    ).toContain(field)
  })
})

describe('request bodies', () => {
  test('malformed JSON is a 400 MALFORMED_REQUEST', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', {
      rawBody: '{"email": "a@example.com", ',
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 400, 'MALFORMED_REQUEST')
  })

  test('invalid UTF-8 inside a JSON body is a 400 MALFORMED_REQUEST', async () => {
    const res = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.buyer,
      rawBody: new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 400, 'MALFORMED_REQUEST')
  })

  test.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'email=a%40example.com&password=x'],
    ['application/xml', '<login/>'],
  ])('a %s body is a 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, rawBody) => {
    const res = await t.request('POST', '/api/v1/auth/login', {
      rawBody,
      headers: { 'content-type': contentType },
    })

    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  test('a body without any Content-Type is a 415, not guessed at or silently ignored', async () => {
    const login = await t.request('POST', '/api/v1/auth/login', {
      rawBody: new TextEncoder().encode('{"email":"buyer@example.com","password":"buyer123!"}'),
    })
    const patch = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.buyer,
      rawBody: new TextEncoder().encode('{"name":"Ignored?"}'),
    })

    expectProblem(login, 415, 'UNSUPPORTED_MEDIA_TYPE')
    expectProblem(patch, 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  test('a JSON media type with a charset or a +json suffix is accepted', async () => {
    const res = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      rawBody: JSON.stringify({ name: 'Charset Ok' }),
      headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
    })

    expect(res.status, res.text).toBe(200)
    expect(res.body.name).toBe('Charset Ok')
  })

  test('a 2 MiB JSON body with Content-Length is a 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', {
      rawBody: TWO_MIB_JSON,
      headers: { 'content-type': 'application/json', 'content-length': String(TWO_MIB_JSON.length) },
    })

    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE')
  })

  test('a 2 MiB chunked JSON body (no Content-Length) to a real server is a 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await postStreamed('/api/v1/auth/login', TWO_MIB_JSON, { 'content-type': 'application/json' })

    expect(res.status, res.text).toBe(413)
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE')
  })

  test('a 2 MiB chunked body without a Content-Type cannot slip past the JSON size limit', async () => {
    const res = await postStreamed('/api/v1/auth/login', TWO_MIB_JSON, {})

    expect([413, 415], res.text).toContain(res.status)
  })

  test('a body just under the limit is read and validated normally', async () => {
    const nearLimit = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024 - 100) })

    const res = await t.request('POST', '/api/v1/auth/login', {
      rawBody: nearLimit,
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 400, 'VALIDATION_FAILED')
  })
})

describe('authentication comes before input validation', () => {
  test('anonymous with an invalid query on a protected route gets 401, not the schema of the input', async () => {
    const res = await t.request('GET', '/api/v1/admin/members?size=0')
    expectProblem(res, 401, 'UNAUTHENTICATED')
    expect(res.body.errors).toBeUndefined()
  })

  test('a buyer with an invalid body on a seller route gets 403, not a validation problem', async () => {
    const res = await t.request('POST', '/api/v1/products', { token: tokens.buyer, body: { price: -5 } })
    expectProblem(res, 403, 'ACCESS_DENIED')
  })

  test('the right role with the same invalid input then gets the 400', async () => {
    const res = await t.request('GET', '/api/v1/admin/members?size=0', { token: tokens.admin })
    expectProblem(res, 400, 'VALIDATION_FAILED')
  })
})

describe('request ids and problem bodies', () => {
  test('a safe X-Request-Id is echoed in the header and in the problem body', async () => {
    const res = await t.request('GET', '/nope', { headers: { 'x-request-id': 'client-id_1.2:3' } })

    expectProblem(res, 404, 'NOT_FOUND')
    expect(res.headers.get('x-request-id')).toBe('client-id_1.2:3')
    expect(res.body.requestId).toBe('client-id_1.2:3')
  })

  test('a successful response also carries the echoed X-Request-Id', async () => {
    const res = await t.request('GET', '/actuator/health', { headers: { 'x-request-id': 'ok-123' } })

    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('ok-123')
  })

  test.each([
    ['300 characters', 'a'.repeat(300)],
    ['spaces and quotes', 'id" level="fatal'],
    ['a log-forging payload', 'abc\tfake=1'],
  ])('an unsafe X-Request-Id (%s) is replaced by a generated id', async (_label, unsafe) => {
    const res = await t.request('GET', '/nope', { headers: { 'x-request-id': unsafe } })

    expect(res.headers.get('x-request-id'), res.text).toMatch(GENERATED_ID)
    expect(res.body.requestId).toBe(res.headers.get('x-request-id')!)
    expect(res.text).not.toContain(unsafe)
  })

  test('without X-Request-Id every response gets a fresh generated one', async () => {
    const first = await t.request('GET', '/nope')
    const second = await t.request('GET', '/nope')

    expect(first.headers.get('x-request-id')).toMatch(GENERATED_ID)
    expect(first.body.requestId).toBe(first.headers.get('x-request-id')!)
    expect(second.body.requestId).not.toBe(first.body.requestId)
  })

  test('a validation problem has exactly the RFC 9457 members plus code, requestId and errors, and no internals', async () => {
    const res = await t.request('POST', '/api/v1/auth/signup', { body: { email: 'x', password: 'short' } })

    expectProblem(res, 400, 'VALIDATION_FAILED')
    expect(Object.keys(res.body).sort()).toEqual([...PROBLEM_MEMBERS, 'errors'].sort())
    expect(res.body.type).toMatch(/^https?:\/\/\S+validation-failed$/)
    expect(res.body.instance).toBe('/api/v1/auth/signup')
    for (const problem of res.body.errors) expect(Object.keys(problem).sort()).toEqual(['field', 'message'])
    expect(res.text).not.toMatch(/stack|node_modules|\.ts:\d+|typebox|"schema"/i)
  })

  test('a non-validation problem has exactly the RFC 9457 members plus code and requestId', async () => {
    const res = await t.request('GET', '/api/v1/members/me')

    expectProblem(res, 401, 'UNAUTHENTICATED')
    expect(Object.keys(res.body).sort()).toEqual(PROBLEM_MEMBERS)
    expect(res.body.title.length).toBeGreaterThan(0)
    expect(res.body.detail.length).toBeGreaterThan(0)
  })
})

describe('GET /actuator/health', () => {
  test('anonymous callers get only {status: UP}', async () => {
    const res = await t.request('GET', '/actuator/health')

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ status: 'UP' })
  })

  test('an admin token shows the components, with the database UP', async () => {
    const res = await t.request('GET', '/actuator/health', { token: tokens.admin })

    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('UP')
    expect(res.body.components.db.status, res.text).toBe('UP')
  })

  test.each(['buyer', 'seller'] as const)('a %s token does not show the components', async (persona) => {
    const res = await t.request('GET', '/actuator/health', { token: tokens[persona] })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ status: 'UP' })
  })

  test('a garbage token does not show the components and does not break health', async () => {
    const res = await t.request('GET', '/actuator/health', { token: 'garbage.token.here' })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ status: 'UP' })
  })

  test('a loopback caller of a real server gets only {status}: behind a local reverse proxy every client is loopback', async () => {
    const server = t.listen()
    try {
      const res = await fetch(`${server.baseUrl}/actuator/health`)
      const text = await res.text()

      expect(res.status, text).toBe(200)
      expect(JSON.parse(text), text).toEqual({ status: 'UP' })
    } finally {
      await server.stop()
    }
  })

  test('the MANAGEMENT_TOKEN as a Bearer token shows the components, from loopback or anywhere', async () => {
    const server = t.listen()
    try {
      const viaHandle = await t.request('GET', '/actuator/health', { token: MANAGEMENT_TOKEN })
      const res = await fetch(`${server.baseUrl}/actuator/health`, {
        headers: { authorization: `Bearer ${MANAGEMENT_TOKEN}` },
      })
      const text = await res.text()

      expect(viaHandle.body.components?.db?.status, viaHandle.text).toBe('UP')
      expect(res.status, text).toBe(200)
      expect(JSON.parse(text).components?.db?.status, text).toBe('UP')
    } finally {
      await server.stop()
    }
  })

  test.each([
    ['one character off', `${MANAGEMENT_TOKEN.slice(0, -1)}q`],
    ['a prefix of it', MANAGEMENT_TOKEN.slice(0, 32)],
    ['it with a suffix', `${MANAGEMENT_TOKEN}x`],
  ])('a management token that is %s shows nothing', async (_label, wrong) => {
    const res = await t.request('GET', '/actuator/health', { token: wrong })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ status: 'UP' })
  })

  test('the management token in another scheme (Basic) shows nothing', async () => {
    const res = await t.request('GET', '/actuator/health', {
      headers: { authorization: `Basic ${MANAGEMENT_TOKEN}` },
    })

    expect(res.body).toEqual({ status: 'UP' })
  })

  test('the management token opens health only: it is no access token for the API', async () => {
    const res = await t.request('GET', '/api/v1/members/me', { token: MANAGEMENT_TOKEN })

    expectProblem(res, 401, 'UNAUTHENTICATED')
  })

  test('liveness is UP', async () => {
    const res = await t.request('GET', '/actuator/health/liveness')

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ status: 'UP' })
  })

  test('readiness is UP when ready, and DOWN with 503 while draining or not yet ready', async () => {
    const ready = await t.request('GET', '/actuator/health/readiness')
    let draining: Awaited<ReturnType<TestApp['request']>>
    let starting: Awaited<ReturnType<TestApp['request']>>
    try {
      t.deps.lifecycle.isDraining = true
      draining = await t.request('GET', '/actuator/health/readiness')
      t.deps.lifecycle.isDraining = false
      t.deps.lifecycle.isReady = false
      starting = await t.request('GET', '/actuator/health/readiness')
    } finally {
      t.deps.lifecycle.isDraining = false
      t.deps.lifecycle.isReady = true
    }

    expect(ready.status, ready.text).toBe(200)
    expect(ready.body).toEqual({ status: 'UP' })
    expect(draining.status, draining.text).toBe(503)
    expect(draining.body).toEqual({ status: 'DOWN' })
    expect(starting.status, starting.text).toBe(503)
    expect((await t.request('GET', '/actuator/health/liveness')).status).toBe(200)
  })
})

describe('GET /actuator/info', () => {
  test('names the app, its version, the git commit and the runtime', async () => {
    const res = await t.request('GET', '/actuator/info')

    expect(res.status, res.text).toBe(200)
    expect(res.body.name).toBe(packageJson.name)
    expect(res.body.version).toBe(packageJson.version)
    expect(res.body.git.commit, res.text).toMatch(/^([0-9a-f]{7,40}|unknown)$/)
    expect(res.body.runtime).toEqual({
      name: 'bun',
      version: Bun.version,
      platform: `${process.platform}-${process.arch}`,
    })
  })
})
