/**
 * Forged and broken tokens against a protected route. Tokens are crafted with jose and the same key derivation
 * as src/platform/auth/jwt.ts (HMAC-SHA256(secret, token use)); the first test proves a correctly forged token is
 * accepted, so every refusal below is about the one thing each test changes.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { type JWTPayload, SignJWT } from 'jose'
import { DEMO, expectProblem, TEST_JWT_SECRET, type TestResponse, useTestApp } from '../support/harness'

const { t } = useTestApp()
let buyerPair: { accessToken: string; refreshToken: string }
let buyerId: number
beforeAll(async () => {
  const login = await t.request('POST', '/api/v1/auth/login', { body: DEMO.buyer })
  buyerPair = login.body
  buyerId = (await t.request('GET', '/api/v1/members/me', { token: buyerPair.accessToken })).body.id
})

const derivedKey = (use: 'access' | 'refresh', secret = TEST_JWT_SECRET) =>
  new Uint8Array(createHmac('sha256', secret).update(use).digest())

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

type Forge = {
  claims?: JWTPayload
  omit?: string[]
  alg?: string
  key?: Uint8Array
  expiresAt?: number
}

/** A token like the ones src/platform/auth/jwt.ts issues for the demo buyer, with the given changes. */
async function forge(options: Forge = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: JWTPayload = {
    role: 'BUYER',
    token_use: 'access',
    iss: 'marketplace',
    aud: 'marketplace-api',
    sub: String(buyerId),
    jti: crypto.randomUUID(),
    iat: now,
    exp: options.expiresAt ?? now + 600,
    ...options.claims,
  }
  for (const claim of options.omit ?? []) delete payload[claim]
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(options.key ?? derivedKey('access'))
}

const getMe = (authorization: string) =>
  t.request('GET', '/api/v1/members/me', { headers: { authorization } })

function expectBearerChallenge(res: TestResponse, code = 'UNAUTHENTICATED') {
  expectProblem(res, 401, code)
  expect(res.headers.get('www-authenticate'), res.text).toStartWith('Bearer')
  expect(res.text).not.toContain(DEMO.buyer.email)
}

describe('GET /api/v1/members/me with forged or broken tokens', () => {
  test('a correctly forged token is accepted (the forging helper matches the real issuer)', async () => {
    const res = await getMe(`Bearer ${await forge()}`)

    expect(res.status, res.text).toBe(200)
    expect(res.body.email).toBe(DEMO.buyer.email)
  })

  test('an unsigned `alg: none` token is refused with 401 and WWW-Authenticate: Bearer', async () => {
    const now = Math.floor(Date.now() / 1000)
    const header = b64url({ alg: 'none', typ: 'JWT' })
    const payload = b64url({
      role: 'ADMIN',
      token_use: 'access',
      iss: 'marketplace',
      aud: 'marketplace-api',
      sub: String(buyerId),
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 600,
    })

    expectBearerChallenge(await getMe(`Bearer ${header}.${payload}.`))
  })

  test('a token signed with another key (the raw secret instead of the derived key) is refused', async () => {
    const token = await forge({ key: new TextEncoder().encode(TEST_JWT_SECRET) })

    expectBearerChallenge(await getMe(`Bearer ${token}`))
  })

  test('a token signed with the right key but HS512 is refused (the algorithm is pinned)', async () => {
    const token = await forge({ alg: 'HS512', key: new Uint8Array(64).fill(7) })
    const sameKeyHs512 = await forge({ alg: 'HS512', key: derivedKey('access') })

    expectBearerChallenge(await getMe(`Bearer ${token}`))
    expectBearerChallenge(await getMe(`Bearer ${sameKeyHs512}`))
  })

  test('an expired token is a 401 TOKEN_EXPIRED with WWW-Authenticate: Bearer', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await forge({ claims: { iat: now - 1000 }, expiresAt: now - 60 })

    expectBearerChallenge(await getMe(`Bearer ${token}`), 'TOKEN_EXPIRED')
  })

  test('an expired token with a bad signature is UNAUTHENTICATED, not TOKEN_EXPIRED (no claims are trusted unsigned)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await forge({ expiresAt: now - 60, key: derivedKey('access', 'x'.repeat(40)) })

    expectBearerChallenge(await getMe(`Bearer ${token}`), 'UNAUTHENTICATED')
  })

  test.each([
    ['a wrong `aud`', { claims: { aud: 'another-api' } }],
    ['a wrong `iss`', { claims: { iss: 'https://evil.example' } }],
    ['no `jti`', { omit: ['jti'] }],
    ['no `exp`', { omit: ['exp'] }],
    ['no `sub`', { omit: ['sub'] }],
    ['a non-numeric `sub`', { claims: { sub: 'admin' } }],
    ['an unknown role', { claims: { role: 'SUPERUSER' } }],
    ['no `token_use`', { omit: ['token_use'] }],
  ] as [string, Forge][])('a validly signed token with %s is refused with 401', async (_label, options) => {
    const token = await forge(options)

    expectBearerChallenge(await getMe(`Bearer ${token}`))
  })

  test('a real refresh token is not accepted as an access token', async () => {
    expectBearerChallenge(await getMe(`Bearer ${buyerPair.refreshToken}`))
  })

  test('a token claiming token_use access but signed with the refresh key is refused', async () => {
    const token = await forge({ key: derivedKey('refresh') })

    expectBearerChallenge(await getMe(`Bearer ${token}`))
  })

  test.each([
    ['the bare token without the Bearer prefix', (token: string) => token],
    ['a Basic scheme', (token: string) => `Basic ${token}`],
    ['two spaces after Bearer', (token: string) => `Bearer  ${token}`],
    ['an empty Bearer', () => 'Bearer '],
  ])('an Authorization header with %s is refused with 401', async (_label, header) => {
    expectBearerChallenge(await getMe(header(buyerPair.accessToken)))
  })

  test('no Authorization header at all is a 401 with WWW-Authenticate: Bearer', async () => {
    const res = await t.request('GET', '/api/v1/members/me')

    expectBearerChallenge(res)
  })

  test('a real token whose payload is edited to role ADMIN keeps the old signature and is refused', async () => {
    const [header, payload, signature] = buyerPair.accessToken.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    expect(claims.role).toBe('BUYER')
    const tampered = `${header}.${b64url({ ...claims, role: 'ADMIN' })}.${signature}`

    const me = await getMe(`Bearer ${tampered}`)
    const admin = await t.request('GET', '/api/v1/admin/members', {
      headers: { authorization: `Bearer ${tampered}` },
    })

    expectBearerChallenge(me)
    expectBearerChallenge(admin)
  })

  test('a real token with one flipped signature character is refused', async () => {
    const token = buyerPair.accessToken
    const last = token.at(-2) === 'A' ? 'B' : 'A'
    const flipped = `${token.slice(0, -2)}${last}${token.at(-1)}`

    expectBearerChallenge(await getMe(`Bearer ${flipped}`))
  })
})

describe('valid token, wrong role', () => {
  test('a buyer on GET /api/v1/admin/members is a 403 ACCESS_DENIED without a Bearer challenge', async () => {
    const res = await t.request('GET', '/api/v1/admin/members', { token: buyerPair.accessToken })

    expectProblem(res, 403, 'ACCESS_DENIED')
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(res.text).not.toContain('admin@example.com')
  })

  test('a seller on GET /api/v1/admin/members is a 403 ACCESS_DENIED', async () => {
    const tokens = await t.tokens()

    expectProblem(
      await t.request('GET', '/api/v1/admin/members', { token: tokens.seller }),
      403,
      'ACCESS_DENIED',
    )
  })

  test('the role comes from the signed token: a token signed with the real key and role ADMIN reaches the admin route', async () => {
    const token = await forge({ claims: { role: 'ADMIN' } })

    const res = await t.request('GET', '/api/v1/admin/members', { token })

    expect(res.status, res.text).toBe(200)
  })
})
