/** Sessions after sign-in: refresh-token rotation with reuse detection, and logout. */
import { describe, expect, test } from 'bun:test'
import { DEMO, expectProblem, useTestApp } from '../support/harness'

const { t } = useTestApp()

async function loginPair(email: string, password: string) {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password } })
  expect(res.status, res.text).toBe(200)
  return res.body as { accessToken: string; refreshToken: string }
}

describe('POST /api/v1/auth/refresh', () => {
  test('rotation gives a new pair whose access token works and whose refresh token differs', async () => {
    const pair = await loginPair(DEMO.buyer.email, DEMO.buyer.password)

    const res = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } })

    expect(res.status, res.text).toBe(200)
    expect(res.body.tokenType).toBe('Bearer')
    expect(res.body.refreshToken).not.toBe(pair.refreshToken)
    expect(res.body.accessToken).not.toBe(pair.accessToken)
    const me = await t.request('GET', '/api/v1/members/me', { token: res.body.accessToken })
    expect(me.status, me.text).toBe(200)
    expect(me.body.email).toBe(DEMO.buyer.email)
  })

  test('reusing a rotated refresh token is a 401 and revokes the whole family, so the new refresh token dies too', async () => {
    const pair = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const rotated = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    })
    expect(rotated.status, rotated.text).toBe(200)

    const reuse = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    })
    const afterReuse = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: rotated.body.refreshToken },
    })

    expectProblem(reuse, 401, 'UNAUTHENTICATED')
    expect(reuse.headers.get('www-authenticate'), reuse.text).toStartWith('Bearer')
    expectProblem(afterReuse, 401, 'UNAUTHENTICATED')
  })

  test('a family revoked by reuse does not touch other sessions of the same member', async () => {
    const victim = await loginPair(DEMO.seller.email, DEMO.seller.password)
    const otherSession = await loginPair(DEMO.seller.email, DEMO.seller.password)
    await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: victim.refreshToken } })
    await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: victim.refreshToken } })

    const res = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: otherSession.refreshToken },
    })

    expect(res.status, res.text).toBe(200)
  })

  test('an access token presented as a refresh token is a 401', async () => {
    const pair = await loginPair(DEMO.buyer.email, DEMO.buyer.password)

    const res = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.accessToken } })

    expectProblem(res, 401, 'UNAUTHENTICATED')
  })

  test.each([
    ['garbage', 'not-a-jwt'],
    ['three dots of nothing', 'a.b.c'],
  ])('a %s refresh token is a 401', async (_label, refreshToken) => {
    const res = await t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } })

    expectProblem(res, 401, 'UNAUTHENTICATED')
  })

  test('a missing refreshToken is a 400 VALIDATION_FAILED', async () => {
    expectProblem(await t.request('POST', '/api/v1/auth/refresh', { body: {} }), 400, 'VALIDATION_FAILED')
  })
})

describe('POST /api/v1/auth/logout', () => {
  test('logout is 204, then the access token is refused with 401 and the refresh token is revoked', async () => {
    const pair = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const before = await t.request('GET', '/api/v1/members/me', { token: pair.accessToken })
    expect(before.status, before.text).toBe(200)

    const res = await t.request('POST', '/api/v1/auth/logout', {
      token: pair.accessToken,
      body: { refreshToken: pair.refreshToken },
    })

    expect(res.status, res.text).toBe(204)
    expect(res.text).toBe('')
    const me = await t.request('GET', '/api/v1/members/me', { token: pair.accessToken })
    expectProblem(me, 401, 'UNAUTHENTICATED')
    expect(me.headers.get('www-authenticate'), me.text).toStartWith('Bearer')
    const refresh = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    })
    expectProblem(refresh, 401, 'UNAUTHENTICATED')
  })

  test('logout without a body revokes the refresh family of that login (named by the access token), and only that one', async () => {
    const session = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const otherSession = await loginPair(DEMO.buyer.email, DEMO.buyer.password)

    const res = await t.request('POST', '/api/v1/auth/logout', { token: session.accessToken })

    expect(res.status, res.text).toBe(204)
    expectProblem(
      await t.request('GET', '/api/v1/members/me', { token: session.accessToken }),
      401,
      'UNAUTHENTICATED',
    )
    const refresh = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    })
    expectProblem(refresh, 401, 'UNAUTHENTICATED')
    const other = await t.request('GET', '/api/v1/members/me', { token: otherSession.accessToken })
    expect(other.status, other.text).toBe(200)
    const otherRefresh = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: otherSession.refreshToken },
    })
    expect(otherRefresh.status, otherRefresh.text).toBe(200)
  })

  test('logout without a body after a rotation revokes the rotated refresh token too (same session)', async () => {
    const login = await loginPair(DEMO.seller.email, DEMO.seller.password)
    const rotated = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: login.refreshToken },
    })
    expect(rotated.status, rotated.text).toBe(200)

    const res = await t.request('POST', '/api/v1/auth/logout', { token: rotated.body.accessToken })

    expect(res.status, res.text).toBe(204)
    const refresh = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: rotated.body.refreshToken },
    })
    expectProblem(refresh, 401, 'UNAUTHENTICATED')
  })

  test('without Redis a logged-out access token stays refused after a restart on the same database file', async () => {
    const session = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const logout = await t.request('POST', '/api/v1/auth/logout', { token: session.accessToken })
    expect(logout.status, logout.text).toBe(204)
    expect(t.deps.redis).toBeUndefined()

    Object.assign(t, await t.restart()) // from here on the file's app is the restarted one

    const me = await t.request('GET', '/api/v1/members/me', { token: session.accessToken })
    expectProblem(me, 401, 'UNAUTHENTICATED')
    expect(me.body.detail, me.text).toContain('revoked')
    const stillValid = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const other = await t.request('GET', '/api/v1/members/me', { token: stillValid.accessToken })
    expect(other.status, other.text).toBe(200)
  })

  test("logout with another member's refresh token does not revoke that member's session", async () => {
    const buyer = await loginPair(DEMO.buyer.email, DEMO.buyer.password)
    const seller = await loginPair(DEMO.seller.email, DEMO.seller.password)

    const res = await t.request('POST', '/api/v1/auth/logout', {
      token: buyer.accessToken,
      body: { refreshToken: seller.refreshToken },
    })

    expect(res.status, res.text).toBe(204)
    const refresh = await t.request('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: seller.refreshToken },
    })
    expect(refresh.status, refresh.text).toBe(200)
  })

  test('logout without a token is a 401 with WWW-Authenticate: Bearer', async () => {
    const res = await t.request('POST', '/api/v1/auth/logout', { body: {} })

    expectProblem(res, 401, 'UNAUTHENTICATED')
    expect(res.headers.get('www-authenticate'), res.text).toStartWith('Bearer')
  })
})
