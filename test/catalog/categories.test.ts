import { describe, expect, test } from 'bun:test'
import { countRows, expectUnauthenticated } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })

const createCategory = (body: unknown, token: string | undefined = tokens.admin) =>
  t.request('POST', '/api/v1/admin/categories', { token, body })

describe('GET /api/v1/categories', () => {
  test('lists the demo categories Electronics, Clothing, Books in display order', async () => {
    const res = await t.request('GET', '/api/v1/categories')

    expect(res.status, res.text).toBe(200)
    expect(res.body.slice(0, 3), res.text).toEqual([
      { id: 1, name: 'Electronics', parentId: null, displayOrder: 1 },
      { id: 2, name: 'Clothing', parentId: null, displayOrder: 2 },
      { id: 3, name: 'Books', parentId: null, displayOrder: 3 },
    ])
  })

  test('a new category appears in the list, sorted by display order then id', async () => {
    const first = await createCategory({ name: 'Toys', displayOrder: 0 })
    const second = await createCategory({ name: 'Garden', displayOrder: 2 })
    expect(first.status, first.text).toBe(201)
    expect(second.status, second.text).toBe(201)

    const res = await t.request('GET', '/api/v1/categories')

    expect(res.status, res.text).toBe(200)
    const ids = res.body.map((c: { id: number }) => c.id)
    expect(ids[0], res.text).toBe(first.body.id)
    // equal display order (Clothing and Garden are both 2): the older id first
    expect(ids.indexOf(2)).toBeLessThan(ids.indexOf(second.body.id))
    const orders = res.body.map((c: { displayOrder: number }) => c.displayOrder)
    expect(orders).toEqual([...orders].sort((a: number, b: number) => a - b))
  })
})

describe('GET /api/v1/categories/{id}', () => {
  test('returns one category by id', async () => {
    const res = await t.request('GET', '/api/v1/categories/3')

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ id: 3, name: 'Books', parentId: null, displayOrder: 3 })
  })

  test('an unknown id is a 404 CATEGORY_NOT_FOUND problem', async () => {
    expectProblem(await t.request('GET', '/api/v1/categories/999999'), 404, 'CATEGORY_NOT_FOUND')
  })

  test('an id that is not a positive integer is a 400 problem, never a 500', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      expectProblem(await t.request('GET', `/api/v1/categories/${id}`), 400, 'VALIDATION_FAILED')
    }
  })
})

describe('POST /api/v1/admin/categories', () => {
  describe('happy path', () => {
    test('an admin creates a category: 201, Location header, and the category is readable there', async () => {
      const res = await createCategory({ name: '  Music  ', displayOrder: 7 })

      expect(res.status, res.text).toBe(201)
      expect(res.body).toEqual({ id: expect.any(Number), name: 'Music', parentId: null, displayOrder: 7 })
      expect(res.headers.get('location')).toBe(`/api/v1/categories/${res.body.id}`)
      const read = await t.request('GET', res.headers.get('location')!)
      expect(read.status, read.text).toBe(200)
      expect(read.body).toEqual(res.body)
    })

    test('a child category keeps its parentId; displayOrder defaults to 0', async () => {
      const res = await createCategory({ name: 'Laptops', parentId: 1 })

      expect(res.status, res.text).toBe(201)
      expect(res.body.parentId).toBe(1)
      expect(res.body.displayOrder).toBe(0)
    })
  })

  describe('errors', () => {
    test('an unknown parentId is a 404 CATEGORY_NOT_FOUND and creates nothing', async () => {
      const before = countRows(t, 'categories')

      const res = await createCategory({ name: 'Orphan', parentId: 999_999 })

      expectProblem(res, 404, 'CATEGORY_NOT_FOUND')
      expect(countRows(t, 'categories')).toBe(before)
    })

    test('a blank, empty, missing or too long name is a 400 with the field named, and creates nothing', async () => {
      const before = countRows(t, 'categories')
      for (const body of [{ name: '   ' }, { name: '' }, {}, { name: 'x'.repeat(51) }, { name: 42 }]) {
        const res = await createCategory(body)

        expectProblem(res, 400, 'VALIDATION_FAILED')
        expect(res.body.errors?.[0]?.field, res.text).toBe('name')
      }
      expect(countRows(t, 'categories')).toBe(before)
    })

    test('a negative or non-integer displayOrder is a 400 and creates nothing', async () => {
      const before = countRows(t, 'categories')
      for (const displayOrder of [-1, 1.5, '3']) {
        expectProblem(await createCategory({ name: 'Odd', displayOrder }), 400, 'VALIDATION_FAILED')
      }
      expect(countRows(t, 'categories')).toBe(before)
    })

    test('malformed JSON is a 400 MALFORMED_REQUEST', async () => {
      const res = await t.request('POST', '/api/v1/admin/categories', {
        token: tokens.admin,
        rawBody: '{"name": ',
        headers: { 'content-type': 'application/json' },
      })

      expectProblem(res, 400, 'MALFORMED_REQUEST')
    })
  })

  describe('security', () => {
    test('a buyer or a seller is refused with 403 and nothing is created', async () => {
      const before = countRows(t, 'categories')
      for (const persona of ['buyer', 'seller'] as const) {
        expectProblem(await createCategory({ name: 'Sneaky' }, tokens[persona]), 403, 'ACCESS_DENIED')
      }
      expect(countRows(t, 'categories')).toBe(before)
    })

    test('an anonymous caller gets 401 with a Bearer challenge and nothing is created', async () => {
      const before = countRows(t, 'categories')

      expectUnauthenticated(await createCategory({ name: 'Sneaky' }, ''))

      expect(countRows(t, 'categories')).toBe(before)
    })

    test('a forged token is a 401', async () => {
      const res = await createCategory({ name: 'Sneaky' }, `${tokens.admin.slice(0, -4)}AAAA`)

      expectProblem(res, 401, 'UNAUTHENTICATED')
    })
  })
})
