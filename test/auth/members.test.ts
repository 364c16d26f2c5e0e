import { describe, expect, test } from 'bun:test'
import { DEMO, expectProblem, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })

/** A fresh buyer per test that edits a profile, so tests never see each other's changes. */
let memberCounter = 0
async function freshBuyer(): Promise<{ email: string; token: string; id: number }> {
  const email = `member-${++memberCounter}@example.com`
  const signup = await t.request('POST', '/api/v1/auth/signup', {
    body: { email, password: 'password123', name: 'Fresh Buyer', phone: '010-5555-5555', role: 'BUYER' },
  })
  expect(signup.status, signup.text).toBe(201)
  return { email, token: await t.login(email, 'password123'), id: signup.body.id }
}

describe('GET /api/v1/members/me', () => {
  test('returns the caller’s own profile, never anyone else’s, and no password data', async () => {
    const buyer = await t.request('GET', '/api/v1/members/me', { token: tokens.buyer })
    const seller = await t.request('GET', '/api/v1/members/me', { token: tokens.seller })

    expect(buyer.status, buyer.text).toBe(200)
    expect(buyer.body).toMatchObject({ email: DEMO.buyer.email, role: 'BUYER', name: 'Buyer User' })
    expect(seller.body).toMatchObject({
      email: DEMO.seller.email,
      role: 'SELLER',
      businessNumber: '123-45-67890',
    })
    expect(buyer.text).not.toMatch(/password|hash|argon2/i)
    expect(buyer.body.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  test('without a token is a 401 with WWW-Authenticate: Bearer', async () => {
    const res = await t.request('GET', '/api/v1/members/me')

    expectProblem(res, 401, 'UNAUTHENTICATED')
    expect(res.headers.get('www-authenticate'), res.text).toStartWith('Bearer')
  })
})

describe('PATCH /api/v1/members/me', () => {
  describe('happy', () => {
    test('changes name and phone, trims the name, and the change persists', async () => {
      const member = await freshBuyer()

      const res = await t.request('PATCH', '/api/v1/members/me', {
        token: member.token,
        body: { name: '  Renamed Buyer  ', phone: '010-9999-0000' },
      })

      expect(res.status, res.text).toBe(200)
      expect(res.body).toMatchObject({ name: 'Renamed Buyer', phone: '010-9999-0000', email: member.email })
      const me = await t.request('GET', '/api/v1/members/me', { token: member.token })
      expect(me.body).toMatchObject({ name: 'Renamed Buyer', phone: '010-9999-0000' })
      expect(Date.parse(me.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(me.body.createdAt))
    })

    test('changing only the name leaves the phone as it was', async () => {
      const member = await freshBuyer()

      const res = await t.request('PATCH', '/api/v1/members/me', {
        token: member.token,
        body: { name: 'Only Name' },
      })

      expect(res.status, res.text).toBe(200)
      expect(res.body).toMatchObject({ name: 'Only Name', phone: '010-5555-5555' })
    })

    test('phone null clears the phone', async () => {
      const member = await freshBuyer()

      const res = await t.request('PATCH', '/api/v1/members/me', {
        token: member.token,
        body: { phone: null },
      })

      expect(res.status, res.text).toBe(200)
      expect(res.body.phone).toBeNull()
      expect((await t.request('GET', '/api/v1/members/me', { token: member.token })).body.phone).toBeNull()
    })
  })

  describe('error', () => {
    test.each([
      ['a blank name', { name: '   ' }, 'name'],
      ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
      ['a phone with letters', { phone: 'call-me-maybe' }, 'phone'],
      ['a numeric name', { name: 42 }, 'name'],
    ])('%s is a 400 VALIDATION_FAILED naming the field and changes nothing', async (_label, body, field) => {
      const member = await freshBuyer()

      const res = await t.request('PATCH', '/api/v1/members/me', { token: member.token, body })

      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        res.text,
      ).toContain(field)
      const me = await t.request('GET', '/api/v1/members/me', { token: member.token })
      expect(me.body).toMatchObject({ name: 'Fresh Buyer', phone: '010-5555-5555' })
    })

    test('without a token is a 401', async () => {
      expectProblem(
        await t.request('PATCH', '/api/v1/members/me', { body: { name: 'Nobody' } }),
        401,
        'UNAUTHENTICATED',
      )
    })
  })

  describe('security', () => {
    test('role, email, id, businessNumber and passwordHash in the body are never written (no mass assignment)', async () => {
      const member = await freshBuyer()

      const res = await t.request('PATCH', '/api/v1/members/me', {
        token: member.token,
        body: {
          name: 'Sneaky',
          role: 'ADMIN',
          email: 'admin@example.com',
          id: 1,
          businessNumber: '000-00-00000',
          passwordHash: 'x',
          password: 'new-password-123',
        },
      })

      expect([200, 400], res.text).toContain(res.status)
      const me = await t.request('GET', '/api/v1/members/me', { token: member.token })
      expect(me.body).toMatchObject({
        id: member.id,
        email: member.email,
        role: 'BUYER',
        businessNumber: null,
      })
      const admin = await t.request('GET', '/api/v1/admin/members?size=100', { token: tokens.admin })
      const demoAdmin = admin.body.items.find((m: { id: number }) => m.id === 1)
      expect(demoAdmin, admin.text).toMatchObject({
        email: DEMO.admin.email,
        role: 'ADMIN',
        name: 'Admin User',
      })
      const fresh = await t.request('POST', '/api/v1/auth/login', {
        body: { email: member.email, password: 'password123' },
      })
      expect(fresh.status, fresh.text).toBe(200)
      expectProblem(
        await t.request('GET', '/api/v1/admin/members', { token: fresh.body.accessToken }),
        403,
        'ACCESS_DENIED',
      )
    })
  })
})

describe('GET /api/v1/admin/members', () => {
  describe('happy', () => {
    test('an admin gets an offset page with the default size 20 and a consistent total', async () => {
      const res = await t.request('GET', '/api/v1/admin/members', { token: tokens.admin })

      expect(res.status, res.text).toBe(200)
      expect(res.body.page.number).toBe(0)
      expect(res.body.page.size).toBe(20)
      expect(res.body.page.totalElements).toBeGreaterThanOrEqual(5)
      expect(res.body.items.length).toBe(Math.min(20, res.body.page.totalElements))
      expect(res.body.page.totalPages).toBe(Math.ceil(res.body.page.totalElements / 20))
      expect(res.text).not.toMatch(/passwordHash|argon2/)
    })

    test('page and size walk every member exactly once, newest first', async () => {
      const first = await t.request('GET', '/api/v1/admin/members?page=0&size=100', { token: tokens.admin })
      const total = first.body.page.totalElements as number
      const seen: number[] = []

      for (let page = 0; page < Math.ceil(total / 2); page++) {
        const res = await t.request('GET', `/api/v1/admin/members?page=${page}&size=2`, {
          token: tokens.admin,
        })
        expect(res.status, res.text).toBe(200)
        expect(res.body.page).toEqual({
          number: page,
          size: 2,
          totalElements: total,
          totalPages: Math.ceil(total / 2),
        })
        seen.push(...res.body.items.map((m: { id: number }) => m.id))
      }

      expect(seen).toEqual(first.body.items.map((m: { id: number }) => m.id))
      expect(new Set(seen).size).toBe(total)
      const created = first.body.items.map((m: { createdAt: string }) => Date.parse(m.createdAt))
      expect(created).toEqual([...created].sort((a, b) => b - a))
    })

    test('a page past the end is an empty list with the same totals', async () => {
      const res = await t.request('GET', '/api/v1/admin/members?page=999&size=10', { token: tokens.admin })

      expect(res.status, res.text).toBe(200)
      expect(res.body.items).toEqual([])
      expect(res.body.page.number).toBe(999)
      expect(res.body.page.totalElements).toBeGreaterThanOrEqual(5)
    })
  })

  describe('error', () => {
    test.each([
      ['size=100000', 'size'],
      ['size=101', 'size'],
      ['size=0', 'size'],
      ['page=-1', 'page'],
      ['size=abc', 'size'],
      ['size=2.5', 'size'],
    ])('%s is a 400 VALIDATION_FAILED naming the parameter', async (query, field) => {
      const res = await t.request('GET', `/api/v1/admin/members?${query}`, { token: tokens.admin })

      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        res.text,
      ).toContain(field)
    })

    test('size=100 (the maximum) is accepted', async () => {
      const res = await t.request('GET', '/api/v1/admin/members?size=100', { token: tokens.admin })

      expect(res.status, res.text).toBe(200)
      expect(res.body.page.size).toBe(100)
    })
  })

  describe('security', () => {
    test('without a token is a 401', async () => {
      expectProblem(await t.request('GET', '/api/v1/admin/members'), 401, 'UNAUTHENTICATED')
    })

    test.each(['buyer', 'seller', 'otherSeller'] as const)(
      'a %s token is a 403 ACCESS_DENIED',
      async (persona) => {
        const res = await t.request('GET', '/api/v1/admin/members', { token: tokens[persona] })

        expectProblem(res, 403, 'ACCESS_DENIED')
        expect(res.text).not.toContain('@example.com')
      },
    )
  })
})
