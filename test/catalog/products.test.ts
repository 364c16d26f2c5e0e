import { describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import {
  countRows,
  createProduct,
  expectUnauthenticated,
  memberIdOf,
  productBody,
  storedProduct,
} from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })

const patchProduct = (id: number, body: unknown, token = tokens.seller, headers?: Record<string, string>) =>
  t.request('PATCH', `/api/v1/products/${id}`, { token, body, headers })

describe('POST /api/v1/products', () => {
  test('a seller lists a product: 201 with Location, ETag and the stored product', async () => {
    const res = await t.request('POST', '/api/v1/products', {
      token: tokens.seller,
      body: productBody({ name: '  Desk lamp  ', price: 25_000, stockQuantity: 3 }),
    })

    expect(res.status, res.text).toBe(201)
    expect(res.headers.get('location')).toBe(`/api/v1/products/${res.body.id}`)
    expect(res.headers.get('etag')).toBe('"1"')
    expect(res.body).toMatchObject({
      sellerId: 2,
      sellerName: 'Seller User',
      categoryId: 1,
      categoryName: 'Electronics',
      name: 'Desk lamp',
      price: 25_000,
      stockQuantity: 3,
      status: 'ON_SALE',
      salesCount: 0,
      version: 1,
      images: [],
    })
    expect(storedProduct(t, res.body.id)?.name).toBe('Desk lamp')
  })

  test('status defaults to DRAFT; price 0 and price 1e9 are both accepted', async () => {
    const { status: _omitted, ...withoutStatus } = productBody({ price: 0 })
    const res = await t.request('POST', '/api/v1/products', { token: tokens.seller, body: withoutStatus })
    const max = await createProduct(t, tokens.seller, { price: 1_000_000_000 })

    expect(res.status, res.text).toBe(201)
    expect(res.body.status).toBe('DRAFT')
    expect(res.body.price).toBe(0)
    expect(max.price).toBe(1_000_000_000)
  })

  test('ON_SALE with stock 0 is stored as SOLD_OUT', async () => {
    const product = await createProduct(t, tokens.seller, { stockQuantity: 0, status: 'ON_SALE' })

    expect(product.status).toBe('SOLD_OUT')
    expect(storedProduct(t, product.id)?.status).toBe('SOLD_OUT')
  })

  test('an unknown categoryId is a 404 CATEGORY_NOT_FOUND and creates nothing', async () => {
    const before = countRows(t, 'products')

    const res = await t.request('POST', '/api/v1/products', {
      token: tokens.seller,
      body: productBody({ categoryId: 999_999 }),
    })

    expectProblem(res, 404, 'CATEGORY_NOT_FOUND')
    expect(countRows(t, 'products')).toBe(before)
  })

  test('invalid fields are a 400 naming the field, and create nothing', async () => {
    const before = countRows(t, 'products')
    const cases: [Record<string, unknown>, string][] = [
      [{ price: -1 }, 'price'],
      [{ price: 1_000_000_001 }, 'price'],
      [{ price: 10.5 }, 'price'],
      [{ stockQuantity: -1 }, 'stockQuantity'],
      [{ status: 'DELETED' }, 'status'],
      [{ status: 'SOLD_OUT' }, 'status'],
      [{ name: '   ' }, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ categoryId: 0 }, 'categoryId'],
    ]
    for (const [overrides, field] of cases) {
      const res = await t.request('POST', '/api/v1/products', {
        token: tokens.seller,
        body: productBody(overrides),
      })

      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(
        res.body.errors?.map((e: { field: string }) => e.field),
        res.text,
      ).toContain(field)
    }
    expect(countRows(t, 'products')).toBe(before)
  })

  test('a buyer or an admin gets 403, an anonymous caller 401, and nothing is created', async () => {
    const before = countRows(t, 'products')
    for (const persona of ['buyer', 'admin'] as const) {
      const res = await t.request('POST', '/api/v1/products', { token: tokens[persona], body: productBody() })
      expectProblem(res, 403, 'ACCESS_DENIED')
    }
    expectUnauthenticated(await t.request('POST', '/api/v1/products', { body: productBody() }))
    expect(countRows(t, 'products')).toBe(before)
  })
})

describe('GET /api/v1/products/{id}', () => {
  test('anyone reads an ON_SALE product, with ETag equal to the quoted version', async () => {
    const product = await createProduct(t, tokens.seller)
    localFileOf(t.deps.database).sqlite.run('update products set version = 7 where id = ?', [product.id])

    const res = await t.request('GET', `/api/v1/products/${product.id}`)

    expect(res.status, res.text).toBe(200)
    expect(res.body.version).toBe(7)
    expect(res.headers.get('etag')).toBe('"7"')
  })

  test('a DRAFT is visible to its seller and to admins only; 404 to anonymous, buyer and other seller', async () => {
    const draft = await createProduct(t, tokens.seller, { status: 'DRAFT' })
    const path = `/api/v1/products/${draft.id}`

    for (const persona of ['seller', 'admin'] as const) {
      const res = await t.request('GET', path, { token: tokens[persona] })
      expect(res.status, res.text).toBe(200)
      expect(res.body.status).toBe('DRAFT')
    }
    expectProblem(await t.request('GET', path), 404, 'PRODUCT_NOT_FOUND')
    for (const persona of ['buyer', 'otherSeller'] as const) {
      expectProblem(await t.request('GET', path, { token: tokens[persona] }), 404, 'PRODUCT_NOT_FOUND')
    }
  })

  test('a DELETED product is 404 to everyone, its seller and admins included', async () => {
    const product = await createProduct(t, tokens.seller)
    localFileOf(t.deps.database).sqlite.run(`update products set status = 'DELETED' where id = ?`, [
      product.id,
    ])

    for (const token of [undefined, tokens.seller, tokens.admin, tokens.buyer]) {
      const res = await t.request('GET', `/api/v1/products/${product.id}`, { token })
      expectProblem(res, 404, 'PRODUCT_NOT_FOUND')
    }
  })

  test('an unknown id is a 404; a malformed id a 400; a bad token a 401 even on this public route', async () => {
    expectProblem(await t.request('GET', '/api/v1/products/999999'), 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await t.request('GET', '/api/v1/products/abc'), 400, 'VALIDATION_FAILED')
    const res = await t.request('GET', '/api/v1/products/1', { token: 'not-a-jwt' })
    expectProblem(res, 401, 'UNAUTHENTICATED')
  })
})

describe('PATCH /api/v1/products/{id}', () => {
  test('the owner edits a product: 200, the change is stored, version and ETag go up by one', async () => {
    const product = await createProduct(t, tokens.seller)

    const res = await patchProduct(product.id, { name: 'Renamed', price: 12_345, description: null })

    expect(res.status, res.text).toBe(200)
    // status was not sent, so it stays ON_SALE (a schema default must not slip in)
    expect(res.body).toMatchObject({
      name: 'Renamed',
      price: 12_345,
      description: null,
      version: 2,
      status: 'ON_SALE',
    })
    expect(res.headers.get('etag')).toBe('"2"')
    expect(storedProduct(t, product.id)).toMatchObject({ name: 'Renamed', price: 12_345, version: 2 })
  })

  test('If-Match with the current ETag succeeds and bumps the version', async () => {
    const product = await createProduct(t, tokens.seller)
    const read = await t.request('GET', `/api/v1/products/${product.id}`)

    const res = await patchProduct(product.id, { price: 999 }, tokens.seller, {
      'if-match': read.headers.get('etag')!,
    })

    expect(res.status, res.text).toBe(200)
    expect(res.body.version).toBe(product.version + 1)
  })

  test('a stale If-Match is a 412 VERSION_MISMATCH and changes nothing', async () => {
    const product = await createProduct(t, tokens.seller)
    expect((await patchProduct(product.id, { price: 1 })).status).toBe(200)
    const before = storedProduct(t, product.id)

    const res = await patchProduct(product.id, { price: 2 }, tokens.seller, { 'if-match': '"1"' })

    expectProblem(res, 412, 'VERSION_MISMATCH')
    expect(storedProduct(t, product.id)).toEqual(before)
  })

  test('stock 0 makes the product SOLD_OUT; stock above 0 puts it back ON_SALE', async () => {
    const product = await createProduct(t, tokens.seller, { stockQuantity: 4 })

    const soldOut = await patchProduct(product.id, { stockQuantity: 0 })
    expect(soldOut.status, soldOut.text).toBe(200)
    expect(soldOut.body.status).toBe('SOLD_OUT')

    const restocked = await patchProduct(product.id, { stockQuantity: 9 })
    expect(restocked.status, restocked.text).toBe(200)
    expect(restocked.body.status).toBe('ON_SALE')
    expect(storedProduct(t, product.id)).toMatchObject({ status: 'ON_SALE', stock_quantity: 9 })
  })

  test('another seller gets 404 PRODUCT_NOT_FOUND (no hint that it exists) and nothing changes', async () => {
    const product = await createProduct(t, tokens.seller)
    const before = storedProduct(t, product.id)

    const res = await patchProduct(product.id, { price: 1 }, tokens.otherSeller)

    expectProblem(res, 404, 'PRODUCT_NOT_FOUND')
    expect(storedProduct(t, product.id)).toEqual(before)
  })

  test('a buyer gets 403, an anonymous caller 401, and nothing changes', async () => {
    const product = await createProduct(t, tokens.seller)
    const before = storedProduct(t, product.id)

    expectProblem(await patchProduct(product.id, { price: 1 }, tokens.buyer), 403, 'ACCESS_DENIED')
    expectUnauthenticated(await t.request('PATCH', `/api/v1/products/${product.id}`, { body: { price: 1 } }))
    expect(storedProduct(t, product.id)).toEqual(before)
  })

  test('invalid values (negative stock, price over 1e9, unknown category) change nothing', async () => {
    const product = await createProduct(t, tokens.seller)
    const before = storedProduct(t, product.id)

    expectProblem(await patchProduct(product.id, { stockQuantity: -1 }), 400, 'VALIDATION_FAILED')
    expectProblem(await patchProduct(product.id, { price: 1_000_000_001 }), 400, 'VALIDATION_FAILED')
    expectProblem(await patchProduct(product.id, { categoryId: 999_999 }), 404, 'CATEGORY_NOT_FOUND')
    expect(storedProduct(t, product.id)).toEqual(before)
  })
})

describe('DELETE /api/v1/products/{id}', () => {
  test('the owner soft-deletes: 204, the row stays as DELETED, then GET and a second DELETE are 404', async () => {
    const product = await createProduct(t, tokens.seller)

    const res = await t.request('DELETE', `/api/v1/products/${product.id}`, { token: tokens.seller })

    expect(res.status, res.text).toBe(204)
    expect(res.text).toBe('')
    expect(storedProduct(t, product.id)?.status).toBe('DELETED')
    expectProblem(await t.request('GET', `/api/v1/products/${product.id}`), 404, 'PRODUCT_NOT_FOUND')
    const again = await t.request('DELETE', `/api/v1/products/${product.id}`, { token: tokens.seller })
    expectProblem(again, 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await patchProduct(product.id, { price: 5 }), 404, 'PRODUCT_NOT_FOUND')
  })

  test('another seller gets 404, a buyer 403, and the product stays on sale', async () => {
    const product = await createProduct(t, tokens.seller)
    const path = `/api/v1/products/${product.id}`

    expectProblem(await t.request('DELETE', path, { token: tokens.otherSeller }), 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await t.request('DELETE', path, { token: tokens.buyer }), 403, 'ACCESS_DENIED')
    expectUnauthenticated(await t.request('DELETE', path))
    expect(storedProduct(t, product.id)?.status).toBe('ON_SALE')
  })
})

describe('GET /api/v1/sellers/me/products', () => {
  test('lists my products in every status but DELETED, and nobody else’s', async () => {
    const sellerId = await memberIdOf(t, tokens.otherSeller)
    const draft = await createProduct(t, tokens.otherSeller, { status: 'DRAFT' })
    const onSale = await createProduct(t, tokens.otherSeller)
    const soldOut = await createProduct(t, tokens.otherSeller, { stockQuantity: 0 })
    const deleted = await createProduct(t, tokens.otherSeller)
    await t.request('DELETE', `/api/v1/products/${deleted.id}`, { token: tokens.otherSeller })

    const res = await t.request('GET', '/api/v1/sellers/me/products?size=100', { token: tokens.otherSeller })

    expect(res.status, res.text).toBe(200)
    const ids = res.body.items.map((p: { id: number }) => p.id)
    expect(ids).toEqual([soldOut.id, onSale.id, draft.id])
    expect(res.body.items.every((p: { sellerId: number }) => p.sellerId === sellerId)).toBe(true)
    expect(res.body.page).toEqual({ number: 0, size: 100, totalElements: 3, totalPages: 1 })
  })

  test('a buyer gets 403 and an anonymous caller 401', async () => {
    const path = '/api/v1/sellers/me/products'
    expectProblem(await t.request('GET', path, { token: tokens.buyer }), 403, 'ACCESS_DENIED')
    expectUnauthenticated(await t.request('GET', path))
  })
})
