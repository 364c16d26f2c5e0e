/**
 * Requests refused from their headers alone, against a real listening server over a plain socket
 * (test/support/raw-http.ts): a route that needs a token answers 401/403 before reading the body, and a request line or
 * header block over Bun's limit is refused by Bun itself before the app sees it. Through app.handle(): the same
 * order for malformed bodies (401 before 400).
 */
import { describe, expect, test } from 'bun:test'
import { expectProblem, useTestApp } from '../support/harness'
import { sendHead, sendUntilAnswered } from '../support/raw-http'

const MIB = 1024 * 1024
/** under the multipart cap (5 images of 10 MiB + 1 MiB), so the Content-Length check alone does not refuse it */
const UPLOAD_BYTES = 50 * MIB
/** Bun's default limit for the request line plus headers (`--max-http-header-size`) */
const BUN_HEADER_LIMIT = 16 * 1024

const { t, tokens, server } = useTestApp({}, { tokens: true, listen: true })

function uploadHead(token?: string): string {
  return [
    'POST /api/v1/products/1/images HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: multipart/form-data; boundary=----boundary',
    `Content-Length: ${UPLOAD_BYTES}`,
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    // keep-alive, as real clients upload: Bun then discards the unread rest of the body and keeps the answer.
    // (With `Connection: close` Bun closes with the body unread, the kernel resets the connection, and the
    // client may lose the 401 it was sent.)
    '',
    '',
  ].join('\r\n')
}

describe('POST /api/v1/products/:id/images: authentication before the body (real server)', () => {
  test('a 50 MiB upload without a token is answered 401 before the client has sent a quarter of the body', async () => {
    const { response, bodyBytesSentBeforeAnswer } = await sendUntilAnswered(
      server.baseUrl,
      uploadHead(),
      UPLOAD_BYTES,
    )

    expect(response.status, response.body).toBe(401)
    expect(JSON.parse(response.body).code, response.body).toBe('UNAUTHENTICATED')
    expect(bodyBytesSentBeforeAnswer, `answered after ${bodyBytesSentBeforeAnswer} bytes`).toBeLessThan(
      UPLOAD_BYTES / 4,
    )
  })

  test('a 50 MiB upload with a buyer token (wrong role) is answered 403 before a quarter of the body', async () => {
    const { response, bodyBytesSentBeforeAnswer } = await sendUntilAnswered(
      server.baseUrl,
      uploadHead(tokens.buyer),
      UPLOAD_BYTES,
    )

    expect(response.status, response.body).toBe(403)
    expect(JSON.parse(response.body).code, response.body).toBe('ACCESS_DENIED')
    expect(bodyBytesSentBeforeAnswer, `answered after ${bodyBytesSentBeforeAnswer} bytes`).toBeLessThan(
      UPLOAD_BYTES / 4,
    )
  })

  test('the same upload from the seller is read to its end before the answer (the count measures reading)', async () => {
    const { response, bodyBytesSentBeforeAnswer } = await sendUntilAnswered(
      server.baseUrl,
      uploadHead(tokens.seller),
      UPLOAD_BYTES,
    )

    expect(response.status, response.body).toBe(400) // 50 MiB of 'a' is no multipart body
    expect(bodyBytesSentBeforeAnswer).toBe(UPLOAD_BYTES)
  })
})

describe('malformed bodies on routes that need a token', () => {
  const MALFORMED = '{"name": "half a JSON document", '

  test('malformed JSON without a token is a 401, not a 400', async () => {
    const res = await t.request('POST', '/api/v1/products', {
      rawBody: MALFORMED,
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 401, 'UNAUTHENTICATED')
  })

  test('malformed JSON with a token of the wrong role is a 403', async () => {
    const res = await t.request('POST', '/api/v1/products', {
      token: tokens.buyer,
      rawBody: MALFORMED,
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 403, 'ACCESS_DENIED')
  })

  test('malformed JSON with a valid token of the right role is still the 400', async () => {
    const res = await t.request('POST', '/api/v1/products', {
      token: tokens.seller,
      rawBody: MALFORMED,
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 400, 'MALFORMED_REQUEST')
  })

  test('an unsupported media type without a token is a 401, not a 415', async () => {
    const res = await t.request('PATCH', '/api/v1/members/me', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })

    expectProblem(res, 401, 'UNAUTHENTICATED')
  })

  test('a public route still parses first: malformed JSON to login is the 400', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', {
      rawBody: MALFORMED,
      headers: { 'content-type': 'application/json' },
    })

    expectProblem(res, 400, 'MALFORMED_REQUEST')
  })
})

describe('oversized request line or headers (real server): Bun refuses them before the app', () => {
  // Bun answers a head over its limit with a bare `431 Request Header Fields Too Large` and closes; there is no
  // hook to turn it into a problem body (Bun.serve has no option for it), so this documents what clients get.
  test('a request line over 16 KiB is a bare 431 from Bun (no 414): no request id, no problem body', async () => {
    const res = await sendHead(
      server.baseUrl,
      `GET /api/v1/products?q=${'a'.repeat(BUN_HEADER_LIMIT)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    )

    expect(res.status, res.body).toBe(431)
    expect(res.headers['x-request-id']).toBeUndefined()
    expect(res.body).toBe('')
  })

  test('a header over 16 KiB is the same bare 431', async () => {
    const res = await sendHead(
      server.baseUrl,
      `GET /api/v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'b'.repeat(BUN_HEADER_LIMIT)}\r\nConnection: close\r\n\r\n`,
    )

    expect(res.status, res.body).toBe(431)
    expect(res.headers['x-request-id']).toBeUndefined()
    expect(res.body).toBe('')
  })

  test('a 15 KiB request line still reaches the app, which answers with its own problem', async () => {
    const res = await sendHead(
      server.baseUrl,
      `GET /api/v1/nothing-here/${'a'.repeat(15 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    )

    expect(res.status, res.body).toBe(404)
    expect(res.headers['x-request-id']).toBeDefined()
    expect(JSON.parse(res.body).code).toBe('NOT_FOUND')
  })
})
