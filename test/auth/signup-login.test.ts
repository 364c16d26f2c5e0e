/** Sign-up and sign-in: validation, duplicate emails, uniform failures, throttling. */
import { describe, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { argon2idHasher, type PasswordHasher } from '../../src/platform/auth/password-hasher'
import { loginFrom, requestFrom } from '../support/client-address'
import { configProblems, DEMO, expectProblem, useTestApp } from '../support/harness'

const { t } = useTestApp()

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
    /** The same app and deps, with a hasher that counts: every hash a request costs is seen. */
    function appCountingHashes() {
      const counter = { hashes: 0 }
      const hasher: PasswordHasher = {
        hash: (password) => {
          counter.hashes += 1
          return argon2idHasher.hash(password)
        },
        verify: argon2idHasher.verify,
      }
      const app = createApp({ ...t.deps, passwordHasher: hasher })
      const signup = async (body: unknown) => {
        const response = await app.handle(
          new Request('http://localhost/api/v1/auth/signup', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
        )
        const text = await response.text()
        return { status: response.status, headers: response.headers, body: JSON.parse(text), text }
      }
      return { counter, signup }
    }

    test('a taken email is refused with 409 before any password hashing (counted), in any letter case', async () => {
      const { counter, signup } = appCountingHashes()
      const body = buyerSignup()
      const first = await signup(body)
      expect(first.status, first.text).toBe(201)
      const hashesAfterFirst = counter.hashes

      const again = await signup(body)
      const upperCase = await signup({ ...body, email: body.email.toUpperCase() })
      const demoBuyer = await signup(buyerSignup({ email: DEMO.buyer.email }))

      expect(hashesAfterFirst).toBe(2) // the decoy hash of the AuthService, then this signup's
      expectProblem(again, 409, 'EMAIL_ALREADY_EXISTS')
      expectProblem(upperCase, 409, 'EMAIL_ALREADY_EXISTS')
      expectProblem(demoBuyer, 409, 'EMAIL_ALREADY_EXISTS')
      expect(counter.hashes).toBe(hashesAfterFirst)
    })

    test('two concurrent signups of one new email: the unique index lets exactly one in, the other is a 409', async () => {
      const body = buyerSignup()

      const results = await Promise.all([
        t.request('POST', '/api/v1/auth/signup', { body }),
        t.request('POST', '/api/v1/auth/signup', { body }),
      ])

      expect(results.map((res) => res.status).sort(), results.map((res) => res.text).join('\n')).toEqual([
        201, 409,
      ])
      expectProblem(results.find((res) => res.status === 409)!, 409, 'EMAIL_ALREADY_EXISTS')
    })

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

  test('after 5 failures for one account from one address the 6th attempt from there is 429 RATE_LIMITED with Retry-After, even with the right password', async () => {
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

  describe('security: throttling without lock-out (clients on distinct loopback addresses)', () => {
    const ATTACKER = '127.0.0.2'
    const OWNER = '127.0.0.3'

    test('a wrong-password storm from one address gets that address 429 for that account, while the owner signs in from their own address', async () => {
      const server = t.listen()
      try {
        const { email, password } = DEMO.seller
        for (let attempt = 1; attempt <= 5; attempt++) {
          const res = await loginFrom(ATTACKER, server.baseUrl, email, `guess-${attempt}`)
          expectProblem(res, 401, 'INVALID_CREDENTIALS')
        }
        for (let attempt = 6; attempt <= 15; attempt++) {
          const res = await loginFrom(ATTACKER, server.baseUrl, email, `guess-${attempt}`)
          expectProblem(res, 429, 'RATE_LIMITED')
        }

        const attackerWithPassword = await loginFrom(ATTACKER, server.baseUrl, email, password)
        const owner = await loginFrom(OWNER, server.baseUrl, email, password)
        const attackerOwnAccount = await loginFrom(
          ATTACKER,
          server.baseUrl,
          DEMO.admin.email,
          DEMO.admin.password,
        )

        expectProblem(attackerWithPassword, 429, 'RATE_LIMITED')
        expect(
          Number(attackerWithPassword.headers.get('retry-after')),
          attackerWithPassword.text,
        ).toBeGreaterThan(0)
        expect(owner.status, owner.text).toBe(200)
        expect(owner.body.accessToken, owner.text).toBeString()
        expect(attackerOwnAccount.status, attackerOwnAccount.text).toBe(200)
      } finally {
        await server.stop()
      }
    })

    test('after 20 failures from one address across many accounts, that address gets 429 even for a valid account; other addresses do not', async () => {
      const server = t.listen()
      try {
        const sprayer = '127.0.0.4'
        for (let attempt = 0; attempt < 20; attempt++) {
          const res = await loginFrom(sprayer, server.baseUrl, `ip-probe-${attempt}@example.com`, 'guess')
          expectProblem(res, 401, 'INVALID_CREDENTIALS')
        }

        const fromSprayer = await loginFrom(sprayer, server.baseUrl, DEMO.buyer.email, DEMO.buyer.password)
        const fromElsewhere = await loginFrom(
          '127.0.0.5',
          server.baseUrl,
          DEMO.buyer.email,
          DEMO.buyer.password,
        )

        expectProblem(fromSprayer, 429, 'RATE_LIMITED')
        expect(fromSprayer.headers.get('retry-after'), fromSprayer.text).toMatch(/^\d+$/)
        expect(fromElsewhere.status, fromElsewhere.text).toBe(200)
      } finally {
        await server.stop()
      }
    })
  })

  test('a body without a password is a 400 VALIDATION_FAILED', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: DEMO.buyer.email } })

    expectProblem(res, 400, 'VALIDATION_FAILED')
  })
})

describe('login throttling per account, over every address', () => {
  const { t: small } = useTestApp({ LOGIN_MAX_FAILURES: '2', LOGIN_ACCOUNT_MAX_FAILURES: '4' })

  test('failures from several addresses add up to the much higher account threshold, which then throttles every address', async () => {
    const server = small.listen()
    try {
      const { email, password } = DEMO.buyer
      const failFrom = async (address: string) => {
        const res = await loginFrom(address, server.baseUrl, email, 'wrong-password')
        expectProblem(res, 401, 'INVALID_CREDENTIALS')
      }
      await failFrom('127.0.0.6')
      await failFrom('127.0.0.6')
      await failFrom('127.0.0.7')
      const belowThreshold = await loginFrom('127.0.0.8', server.baseUrl, email, password)
      expect(belowThreshold.status, belowThreshold.text).toBe(200)
      await failFrom('127.0.0.7')

      const atThreshold = await loginFrom('127.0.0.8', server.baseUrl, email, password)

      expectProblem(atThreshold, 429, 'RATE_LIMITED')
      expect(Number(atThreshold.headers.get('retry-after')), atThreshold.text).toBeGreaterThan(0)
    } finally {
      await server.stop()
    }
  })

  test('an account threshold at or under the per-pair threshold is refused at start (one address could lock the owner out)', () => {
    const problems = configProblems({ LOGIN_MAX_FAILURES: '10', LOGIN_ACCOUNT_MAX_FAILURES: '10' })

    expect(problems.join('\n')).toContain('LOGIN_ACCOUNT_MAX_FAILURES=10: must exceed LOGIN_MAX_FAILURES')
    expect(configProblems({ LOGIN_IP_MAX_FAILURES: '0' }).join('\n')).toContain('LOGIN_IP_MAX_FAILURES')
  })
})

describe('POST /api/v1/auth/signup per client address (SIGNUP_MAX_PER_IP)', () => {
  // a day-long window (the longest allowed, aligned to the clock) keeps the window's edge out of the test
  const { t: limited, server } = useTestApp(
    { SIGNUP_MAX_PER_IP: '3', SIGNUP_WINDOW_SECONDS: '86400' },
    { listen: true },
  )
  const signupFrom = (address: string, body: unknown) =>
    requestFrom(address, server.baseUrl, 'POST', '/api/v1/auth/signup', body)

  test('the 4th signup from one address is a 429 RATE_LIMITED with RateLimit headers and creates nothing; other addresses still sign up', async () => {
    const address = '127.0.0.9'
    for (let i = 1; i <= 3; i++) {
      const res = await signupFrom(address, buyerSignup())
      expect(res.status, res.text).toBe(201)
      expect(res.headers.get('ratelimit-policy'), res.text).toBe('3;w=86400')
      expect(res.headers.get('ratelimit'), res.text).toStartWith(`limit=3, remaining=${3 - i}, reset=`)
    }
    const refusedEmail = uniqueEmail('refused')

    const refused = await signupFrom(address, buyerSignup({ email: refusedEmail }))
    const elsewhere = await signupFrom('127.0.0.10', buyerSignup({ email: refusedEmail }))

    expectProblem(refused, 429, 'RATE_LIMITED')
    expect(refused.headers.get('ratelimit-policy'), refused.text).toBe('3;w=86400')
    expect(refused.headers.get('ratelimit'), refused.text).toMatch(/^limit=3, remaining=0, reset=\d+$/)
    expect(Number(refused.headers.get('retry-after')), refused.text).toBeGreaterThan(0)
    expect(elsewhere.status, elsewhere.text).toBe(201)
  })

  test('a taken email counts against the allowance too (it would otherwise probe emails for free)', async () => {
    const address = '127.0.0.11'
    for (let i = 0; i < 3; i++) {
      expectProblem(
        await signupFrom(address, buyerSignup({ email: DEMO.buyer.email })),
        409,
        'EMAIL_ALREADY_EXISTS',
      )
    }

    expectProblem(await signupFrom(address, buyerSignup()), 429, 'RATE_LIMITED')
  })

  test('a malformed signup is refused with 400 without spending the allowance', async () => {
    const address = '127.0.0.12'
    for (let i = 0; i < 5; i++) {
      expectProblem(await signupFrom(address, buyerSignup({ password: 'short' })), 400, 'VALIDATION_FAILED')
    }

    const res = await signupFrom(address, buyerSignup())

    expect(res.status, res.text).toBe(201)
  })

  test('SIGNUP_MAX_PER_IP and SIGNUP_WINDOW_SECONDS: defaults 20 per 600 s, bad values named at start', () => {
    expect(loadConfig({}).signup).toEqual({ maxPerIp: 20, windowSeconds: 600 })
    expect(limited.deps.config.signup).toEqual({ maxPerIp: 3, windowSeconds: 86_400 })
    const problems = configProblems({ SIGNUP_MAX_PER_IP: '-1', SIGNUP_WINDOW_SECONDS: '0' }).join('\n')

    expect(problems).toContain('SIGNUP_MAX_PER_IP')
    expect(problems).toContain('SIGNUP_WINDOW_SECONDS')
  })
})
