/** Sign-up and sign-in: validation, duplicate emails, uniform failures, throttling. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, DEMO, expectProblem, type TestApp } from './harness'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp()
})
afterAll(() => t.close())

let emailCounter = 0
const uniqueEmail = (label: string) => `${label}-${++emailCounter}@example.com`

const buyerSignup = (overrides: Record<string, unknown> = {}) => ({
  email: uniqueEmail('buyer'),
  password: 'password123',
  name: 'New Buyer',
  role: 'BUYER',
  ...overrides,
})

async function loginPair(email: string, password: string) {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password } })
  expect(res.status, res.text).toBe(200)
  return res.body as { accessToken: string; refreshToken: string }
}

describe('POST /api/v1/auth/signup', () => {
  describe('happy', () => {
    test('a buyer signs up: 201, Location of the new member, and the member without any password data', async () => {
      const body = buyerSignup({ phone: '010-1234-5678' })

      const res = await t.request('POST', '/api/v1/auth/signup', { body })

      expect(res.status, res.text).toBe(201)
      expect(res.headers.get('location'), res.text).toBe('/api/v1/members/me')
      expect(res.body).toMatchObject({
        email: body.email,
        name: 'New Buyer',
        role: 'BUYER',
        phone: '010-1234-5678',
      })
      expect(res.body.businessNumber).toBeNull()
      expect(
        Object.keys(res.body).some((key) => /password|hash/i.test(key)),
        res.text,
      ).toBe(false)
      expect(res.text).not.toMatch(/argon2|password123/)
    })

    test('a seller with a businessNumber signs up and can then log in', async () => {
      const email = uniqueEmail('seller')

      const res = await t.request('POST', '/api/v1/auth/signup', {
        body: {
          email,
          password: 'password123',
          name: 'Shop',
          role: 'SELLER',
          businessNumber: '111-22-33333',
        },
      })

      expect(res.status, res.text).toBe(201)
      expect(res.body).toMatchObject({ role: 'SELLER', businessNumber: '111-22-33333' })
      await loginPair(email, 'password123')
    })

    test('the email is stored lower-cased, so login works with any casing', async () => {
      const email = uniqueEmail('MixedCase').replace('mixedcase', 'MixedCase')

      const res = await t.request('POST', '/api/v1/auth/signup', { body: buyerSignup({ email }) })

      expect(res.status, res.text).toBe(201)
      expect(res.body.email).toBe(email.toLowerCase())
      await loginPair(email.toUpperCase(), 'password123')
    })
  })

  describe('error', () => {
    test('a duplicate email is a 409 EMAIL_ALREADY_EXISTS', async () => {
      const body = buyerSignup()
      const first = await t.request('POST', '/api/v1/auth/signup', { body })
      expect(first.status, first.text).toBe(201)

      const second = await t.request('POST', '/api/v1/auth/signup', { body })

      expectProblem(second, 409, 'EMAIL_ALREADY_EXISTS')
    })

    test('a duplicate email that differs only in letter case is also a 409', async () => {
      const res = await t.request('POST', '/api/v1/auth/signup', {
        body: buyerSignup({ email: DEMO.buyer.email.toUpperCase() }),
      })

      expectProblem(res, 409, 'EMAIL_ALREADY_EXISTS')
    })

    test('a SELLER without a businessNumber is a 422 BUSINESS_NUMBER_REQUIRED and creates no account', async () => {
      const email = uniqueEmail('no-bn-seller')

      const res = await t.request('POST', '/api/v1/auth/signup', {
        body: buyerSignup({ email, role: 'SELLER' }),
      })

      expectProblem(res, 422, 'BUSINESS_NUMBER_REQUIRED')
      const retry = await t.request('POST', '/api/v1/auth/signup', { body: buyerSignup({ email }) })
      expect(retry.status, retry.text).toBe(201)
    })

    test.each([
      ['password of 7 characters', { password: 'a'.repeat(7) }, 'password'],
      ['password of 129 characters', { password: 'a'.repeat(129) }, 'password'],
      ['email without an @', { email: 'not-an-email' }, 'email'],
      ['blank name', { name: '   ' }, 'name'],
      ['missing role', { role: undefined }, 'role'],
    ])('a %s is a 400 VALIDATION_FAILED naming the field', async (_label, overrides, field) => {
      const res = await t.request('POST', '/api/v1/auth/signup', { body: buyerSignup(overrides) })

      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        res.text,
      ).toContain(field)
    })

    test('passwords of exactly 8 and 128 characters are accepted (the bounds are inclusive)', async () => {
      for (const password of ['a'.repeat(8), 'b'.repeat(128)]) {
        const res = await t.request('POST', '/api/v1/auth/signup', { body: buyerSignup({ password }) })
        expect(res.status, res.text).toBe(201)
      }
    })
  })

  describe('security', () => {
    test('role ADMIN cannot be self-assigned: 400 and no account is created', async () => {
      const email = uniqueEmail('wannabe-admin')

      const res = await t.request('POST', '/api/v1/auth/signup', {
        body: buyerSignup({ email, role: 'ADMIN' }),
      })

      expectProblem(res, 400, 'VALIDATION_FAILED')
      const login = await t.request('POST', '/api/v1/auth/login', {
        body: { email, password: 'password123' },
      })
      expectProblem(login, 401, 'INVALID_CREDENTIALS')
    })
  })
})

describe('POST /api/v1/auth/login', () => {
  test('the right credentials give a Bearer pair with the access lifetime in seconds', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: DEMO.buyer })

    expect(res.status, res.text).toBe(200)
    expect(res.body.tokenType).toBe('Bearer')
    expect(res.body.expiresIn).toBe(900)
    expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(res.body.refreshToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(res.body.refreshToken).not.toBe(res.body.accessToken)
    const me = await t.request('GET', '/api/v1/members/me', { token: res.body.accessToken })
    expect(me.body.email, me.text).toBe(DEMO.buyer.email)
  })

  test('a wrong password and an unknown email give the same 401 INVALID_CREDENTIALS body apart from requestId', async () => {
    const wrongPassword = await t.request('POST', '/api/v1/auth/login', {
      body: { email: DEMO.seller.email, password: 'not-the-password' },
    })
    const unknownEmail = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'nobody-here@example.com', password: 'not-the-password' },
    })

    expectProblem(wrongPassword, 401, 'INVALID_CREDENTIALS')
    expectProblem(unknownEmail, 401, 'INVALID_CREDENTIALS')
    const { requestId: _a, ...first } = wrongPassword.body
    const { requestId: _b, ...second } = unknownEmail.body
    expect(first).toEqual(second)
  })

  test('after 5 failures for one account the 6th attempt is 429 RATE_LIMITED with Retry-After, even with the right password', async () => {
    const email = uniqueEmail('throttled')
    const signup = await t.request('POST', '/api/v1/auth/signup', { body: buyerSignup({ email }) })
    expect(signup.status, signup.text).toBe(201)
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await t.request('POST', '/api/v1/auth/login', {
        body: { email, password: 'wrong-password' },
      })
      expectProblem(res, 401, 'INVALID_CREDENTIALS')
    }

    const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'password123' } })

    expectProblem(res, 429, 'RATE_LIMITED')
    const retryAfter = Number(res.headers.get('retry-after'))
    expect(retryAfter, res.text).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(300)
    const otherAccount = await t.request('POST', '/api/v1/auth/login', { body: DEMO.admin })
    expect(otherAccount.status, otherAccount.text).toBe(200)
  })

  test('after 20 failures from one IP across many accounts, that IP gets 429 even for a valid account', async () => {
    const server = t.listen()
    try {
      const login = (body: unknown) =>
        fetch(`${server.baseUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await login({ email: `ip-probe-${attempt}@example.com`, password: 'guess' })
        expect(res.status, await res.text()).toBe(401)
      }

      const res = await login(DEMO.seller)

      const text = await res.text()
      expect(res.status, text).toBe(429)
      expect(JSON.parse(text).code).toBe('RATE_LIMITED')
      expect(res.headers.get('retry-after'), text).toMatch(/^\d+$/)
    } finally {
      await server.stop()
    }
  })

  test('a body without a password is a 400 VALIDATION_FAILED', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: DEMO.buyer.email } })

    expectProblem(res, 400, 'VALIDATION_FAILED')
  })
})
