/**
 * SPEC §3: unknown or server-owned body fields are rejected or ignored, never written. Each test sends such
 * fields and then reads the stored row: a 2xx must have ignored them, a 400 must have stored nothing.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { countRows, createProduct, memberIdOf, productBody, storedProduct } from '../support/catalog-fixtures'
import { expectProblem, type TestResponse, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })
let otherSellerId: number
beforeAll(async () => {
  otherSellerId = await memberIdOf(t, tokens.otherSeller)
})

/** The server-owned fields a client may try to set on a product. */
const FORGED_PRODUCT_FIELDS = {
  id: 9_999,
  sellerId: 3,
  sellerName: 'Forged',
  salesCount: 123_456,
  version: 99,
  createdAt: '2000-01-01T00:00:00.000Z',
  updatedAt: '2000-01-01T00:00:00.000Z',
  images: [{ id: 1, imageUrl: 'https://evil.example/x.png', displayOrder: 0 }],
}

type MemberRow = { id: number; email: string; role: string; name: string; business_number: string | null }
const storedMember = (where: string, value: string | number) =>
  localFileOf(t.deps.database)
    .sqlite.query(`select * from members where ${where} = ?`)
    .get(value) as MemberRow | null

function expectAcceptedOrValidationError(res: TestResponse, successStatus: number): boolean {
  if (res.status === successStatus) return true
  expectProblem(res, 400, 'VALIDATION_FAILED')
  return false
}

describe('POST /api/v1/products with server-owned fields', () => {
  test('id, sellerId, salesCount, version, timestamps and images are not written', async () => {
    const before = countRows(t, 'products')

    const res = await t.request('POST', '/api/v1/products', {
      token: tokens.seller,
      body: productBody({ ...FORGED_PRODUCT_FIELDS, name: 'Forged create' }),
    })

    if (!expectAcceptedOrValidationError(res, 201)) {
      expect(countRows(t, 'products')).toBe(before)
      return
    }
    const row = storedProduct(t, res.body.id)!
    expect(row.id).not.toBe(FORGED_PRODUCT_FIELDS.id)
    expect(storedProduct(t, FORGED_PRODUCT_FIELDS.id)).toBeNull()
    expect(row).toMatchObject({ seller_id: 2, sales_count: 0, version: 1, name: 'Forged create' })
    expect(row.created_at).toBeGreaterThan(Date.parse('2020-01-01'))
    expect(res.body.images).toEqual([])
    expect(countRows(t, 'product_images')).toBe(0)
  })

  test('status DELETED or SOLD_OUT is a 400 and creates nothing', async () => {
    const before = countRows(t, 'products')
    for (const status of ['DELETED', 'SOLD_OUT']) {
      const res = await t.request('POST', '/api/v1/products', {
        token: tokens.seller,
        body: productBody({ status }),
      })

      expectProblem(res, 400, 'VALIDATION_FAILED')
    }
    expect(countRows(t, 'products')).toBe(before)
  })
})

describe('PATCH /api/v1/products/{id} with server-owned fields', () => {
  test('alongside a real change, only the real change is written; version goes up by exactly one', async () => {
    const product = await createProduct(t, tokens.seller)
    localFileOf(t.deps.database).sqlite.run('update products set sales_count = 7 where id = ?', [product.id])
    const before = storedProduct(t, product.id)!

    const res = await t.request('PATCH', `/api/v1/products/${product.id}`, {
      token: tokens.seller,
      body: { ...FORGED_PRODUCT_FIELDS, sellerId: otherSellerId, name: 'Legit rename' },
    })

    if (!expectAcceptedOrValidationError(res, 200)) {
      expect(storedProduct(t, product.id)).toEqual(before)
      return
    }
    expect(storedProduct(t, product.id)).toEqual({
      ...before,
      name: 'Legit rename',
      version: before.version + 1,
      updated_at: expect.any(Number),
    })
    expect(storedProduct(t, FORGED_PRODUCT_FIELDS.id)).toBeNull()
    // still the seller's, not handed to the other seller
    const otherPatch = await t.request('PATCH', `/api/v1/products/${product.id}`, {
      token: tokens.otherSeller,
      body: { price: 1 },
    })
    expectProblem(otherPatch, 404, 'PRODUCT_NOT_FOUND')
  })

  test('server-owned fields alone change none of the owned columns', async () => {
    const product = await createProduct(t, tokens.seller)
    const before = storedProduct(t, product.id)!

    const res = await t.request('PATCH', `/api/v1/products/${product.id}`, {
      token: tokens.seller,
      body: { salesCount: 5_000, sellerId: otherSellerId, version: 42, id: 9_998 },
    })

    expect([200, 400], res.text).toContain(res.status)
    const after = storedProduct(t, product.id)!
    expect(after).toMatchObject({
      id: before.id,
      seller_id: before.seller_id,
      sales_count: before.sales_count,
      status: before.status,
      name: before.name,
      price: before.price,
      created_at: before.created_at,
    })
    expect(after.version).not.toBe(42)
    expect(storedProduct(t, 9_998)).toBeNull()
  })

  test('status DELETED or SOLD_OUT is a 400 and changes nothing', async () => {
    const product = await createProduct(t, tokens.seller)
    const before = storedProduct(t, product.id)

    for (const status of ['DELETED', 'SOLD_OUT']) {
      const res = await t.request('PATCH', `/api/v1/products/${product.id}`, {
        token: tokens.seller,
        body: { status },
      })

      expectProblem(res, 400, 'VALIDATION_FAILED')
    }
    expect(storedProduct(t, product.id)).toEqual(before)
  })
})

describe('POST /api/v1/auth/signup with a forged role', () => {
  test('role ADMIN is a 400 and no member is created', async () => {
    const before = countRows(t, 'members')

    const res = await t.request('POST', '/api/v1/auth/signup', {
      body: { email: 'would-be-admin@example.com', password: 'password123', name: 'Mallory', role: 'ADMIN' },
    })

    expectProblem(res, 400, 'VALIDATION_FAILED')
    expect(countRows(t, 'members')).toBe(before)
    expect(storedMember('email', 'would-be-admin@example.com')).toBeNull()
  })

  test('id and passwordHash in the body are not written', async () => {
    const res = await t.request('POST', '/api/v1/auth/signup', {
      body: {
        email: 'forger@example.com',
        password: 'password123',
        name: 'Forger',
        role: 'BUYER',
        id: 1,
        passwordHash: 'forged',
      },
    })

    if (!expectAcceptedOrValidationError(res, 201)) {
      expect(storedMember('email', 'forger@example.com')).toBeNull()
      return
    }
    expect(res.body.id).not.toBe(1)
    expect(storedMember('id', 1)?.email).toBe('admin@example.com')
    expect(storedMember('email', 'forger@example.com')?.role).toBe('BUYER')
    expect(await t.login('forger@example.com', 'password123')).toBeString()
  })
})

describe('PATCH /api/v1/members/me with role or email', () => {
  test('role and email are ignored; name changes; the buyer still cannot act as admin', async () => {
    const buyerId = await memberIdOf(t, tokens.buyer)

    const res = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.buyer,
      body: { name: 'Renamed Buyer', role: 'ADMIN', email: 'hijack@example.com', id: 1 },
    })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      id: buyerId,
      name: 'Renamed Buyer',
      role: 'BUYER',
      email: 'buyer@example.com',
    })
    expect(storedMember('id', buyerId)).toMatchObject({ role: 'BUYER', email: 'buyer@example.com' })
    expect(storedMember('email', 'hijack@example.com')).toBeNull()
    expect(storedMember('id', 1)).toMatchObject({ role: 'ADMIN', email: 'admin@example.com' })
    const adminOnly = await t.request('GET', '/api/v1/admin/members', {
      token: await t.login('buyer@example.com', 'buyer123!'),
    })
    expectProblem(adminOnly, 403, 'ACCESS_DENIED')
  })
})
