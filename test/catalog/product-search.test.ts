import { beforeAll, describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { createProduct, memberIdOf } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'

type Item = { id: number; name: string; price: number; salesCount: number; status: string; createdAt: string }

const { t, tokens } = useTestApp({}, { tokens: true })
let sellerId: number
/** The other seller's public products by name: the controlled data set every search here is scoped to. */
const listed: Record<string, Item> = {}
let draftId: number
let deletedId: number

// name, price, categoryId, stock (0 → SOLD_OUT), salesCount, description
const CATALOG: [string, number, number, number, number, string][] = [
  ['Alpha widget', 300, 1, 5, 40, 'plain'],
  ['Beta gadget', 100, 2, 5, 10, 'Contains the word ZebraFish'],
  ['Gamma tool', 200, 3, 0, 70, 'sold out'],
  ['100% cotton shirt', 400, 2, 5, 20, 'shirt'],
  ['100 cotton sock', 500, 2, 5, 60, 'sock'],
  ['snake_case book', 600, 3, 5, 30, 'book'],
  ['snakeXcase book', 700, 3, 5, 50, 'book'],
]

beforeAll(async () => {
  sellerId = await memberIdOf(t, tokens.otherSeller)
  const base = Date.parse('2026-01-01T00:00:00.000Z')
  for (const [index, [name, price, categoryId, stockQuantity, sales, description]] of CATALOG.entries()) {
    const product = await createProduct(t, tokens.otherSeller, {
      name,
      price,
      categoryId,
      stockQuantity,
      description,
    })
    // created_at runs opposite to id (the first created is the newest), so a sort by id cannot pass for createdAt
    localFileOf(t.deps.database).sqlite.run(
      'update products set sales_count = ?, created_at = ? where id = ?',
      [sales, base - index * 60_000, product.id],
    )
    listed[name] = (await t.request('GET', `/api/v1/products/${product.id}`)).body
  }
  draftId = (await createProduct(t, tokens.otherSeller, { name: 'Delta draft', status: 'DRAFT' })).id
  deletedId = (await createProduct(t, tokens.otherSeller, { name: 'Epsilon deleted' })).id
  await t.request('DELETE', `/api/v1/products/${deletedId}`, { token: tokens.otherSeller })
})

const search = (query: string) => t.request('GET', `/api/v1/products?${query}`)
const namesOf = (res: { body: { items: Item[] } }) => res.body.items.map((p) => p.name)
const sortedNames = (compare: (a: Item, b: Item) => number) =>
  Object.values(listed)
    .sort(compare)
    .map((p) => p.name)

describe('GET /api/v1/products', () => {
  describe('filters', () => {
    test('without filters it lists ON_SALE and SOLD_OUT products, newest first, never DRAFT or DELETED', async () => {
      const res = await search(`sellerId=${sellerId}`)

      expect(res.status, res.text).toBe(200)
      expect(namesOf(res)).toEqual(CATALOG.map(([name]) => name))
      expect(res.body.items.map((p: Item) => p.status)).toContain('SOLD_OUT')
      expect(res.body.page).toEqual({ number: 0, size: 20, totalElements: CATALOG.length, totalPages: 1 })
    })

    test('keyword matches the name, case-insensitively', async () => {
      const res = await search('keyword=ALPHA%20WIDG')

      expect(res.status, res.text).toBe(200)
      expect(namesOf(res)).toEqual(['Alpha widget'])
    })

    test('keyword matches the description, case-insensitively', async () => {
      const res = await search('keyword=zebrafish')

      expect(res.status, res.text).toBe(200)
      expect(namesOf(res)).toEqual(['Beta gadget'])
    })

    test('% and _ in a keyword are literal characters, not LIKE wildcards', async () => {
      const cases: [string, string[]][] = [
        ['100%25', ['100% cotton shirt']],
        ['%25', ['100% cotton shirt']],
        ['e_c', ['snake_case book']],
        ['_', ['snake_case book']],
        ['%5C', []],
      ]
      for (const [keyword, names] of cases) {
        const res = await search(`keyword=${keyword}`)

        expect(res.status, res.text).toBe(200)
        expect(namesOf(res), keyword).toEqual(names)
      }
    })

    test('categoryId keeps that category only', async () => {
      const res = await search(`sellerId=${sellerId}&categoryId=2`)

      expect(res.status, res.text).toBe(200)
      expect(namesOf(res).sort()).toEqual(['100 cotton sock', '100% cotton shirt', 'Beta gadget'])
    })

    test('minPrice and maxPrice are inclusive bounds', async () => {
      const res = await search(`sellerId=${sellerId}&minPrice=200&maxPrice=400`)

      expect(res.status, res.text).toBe(200)
      expect(namesOf(res).sort()).toEqual(['100% cotton shirt', 'Alpha widget', 'Gamma tool'])
      expect(namesOf(await search(`sellerId=${sellerId}&minPrice=650`))).toEqual(['snakeXcase book'])
      expect(namesOf(await search(`sellerId=${sellerId}&maxPrice=100`))).toEqual(['Beta gadget'])
    })

    test('status=SOLD_OUT and status=ON_SALE split the public products', async () => {
      const soldOut = await search(`sellerId=${sellerId}&status=SOLD_OUT`)
      const onSale = await search(`sellerId=${sellerId}&status=ON_SALE`)

      expect(soldOut.status, soldOut.text).toBe(200)
      expect(namesOf(soldOut)).toEqual(['Gamma tool'])
      expect(namesOf(onSale)).toHaveLength(CATALOG.length - 1)
      expect(namesOf(onSale)).not.toContain('Gamma tool')
    })

    test('sellerId keeps that seller’s products only', async () => {
      const res = await search('sellerId=2&size=100')

      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeGreaterThanOrEqual(4)
      expect(res.body.items.every((p: { sellerId: number }) => p.sellerId === 2)).toBe(true)
    })

    test('DRAFT and DELETED products are never listed, whatever the filters', async () => {
      for (const query of ['size=100', 'keyword=draft', 'keyword=deleted', `sellerId=${sellerId}&size=100`]) {
        const res = await search(query)

        expect(res.status, res.text).toBe(200)
        const ids = res.body.items.map((p: Item) => p.id)
        expect(ids).not.toContain(draftId)
        expect(ids).not.toContain(deletedId)
        expect(res.body.items.every((p: Item) => ['ON_SALE', 'SOLD_OUT'].includes(p.status))).toBe(true)
      }
    })
  })

  describe('sort and pages', () => {
    test('sort by createdAt, price and salesCount, ascending and descending', async () => {
      const byCreated = (a: Item, b: Item) => Date.parse(a.createdAt) - Date.parse(b.createdAt)
      const byPrice = (a: Item, b: Item) => a.price - b.price
      const bySales = (a: Item, b: Item) => a.salesCount - b.salesCount
      const cases: [string, (a: Item, b: Item) => number][] = [
        ['createdAt,asc', byCreated],
        ['createdAt,desc', (a, b) => byCreated(b, a)],
        ['price,asc', byPrice],
        ['price,desc', (a, b) => byPrice(b, a)],
        ['salesCount,asc', bySales],
        ['salesCount,desc', (a, b) => bySales(b, a)],
        ['price', (a, b) => byPrice(b, a)],
      ]
      for (const [sort, compare] of cases) {
        const res = await search(`sellerId=${sellerId}&sort=${sort}`)

        expect(res.status, res.text).toBe(200)
        expect(namesOf(res), sort).toEqual(sortedNames(compare))
      }
    })

    test('page and size walk the results with correct page metadata and no overlap', async () => {
      const pages = []
      for (const page of [0, 1, 2, 3]) {
        const res = await search(`sellerId=${sellerId}&sort=price,asc&size=3&page=${page}`)
        expect(res.status, res.text).toBe(200)
        expect(res.body.page).toEqual({ number: page, size: 3, totalElements: CATALOG.length, totalPages: 3 })
        pages.push(namesOf(res))
      }

      expect(pages.map((p) => p.length)).toEqual([3, 3, 1, 0])
      expect(pages.flat()).toEqual(sortedNames((a, b) => a.price - b.price))
    })
  })

  describe('errors', () => {
    test('invalid query values are 400 problems', async () => {
      const queries = [
        'minPrice=500&maxPrice=100',
        'status=DRAFT',
        'status=DELETED',
        'size=100000',
        'size=101',
        'size=0',
        'page=-1',
        'minPrice=-1',
        'maxPrice=1000000001',
        'categoryId=abc',
        'sort=name,asc',
        'sort=price,sideways',
        'keyword=',
      ]
      for (const query of queries) {
        const res = await search(query)

        expectProblem(res, 400, 'VALIDATION_FAILED')
      }
    })
  })
})

describe('GET /api/v1/products/popular', () => {
  test('the top 10 ON_SALE products by salesCount, best first; SOLD_OUT, DRAFT and DELETED never', async () => {
    const run = (sql: string, ...params: number[]) => localFileOf(t.deps.database).sqlite.run(sql, params)
    const top = []
    for (let i = 0; i < 12; i++) {
      const product = await createProduct(t, tokens.seller, { name: `Bestseller ${i}` })
      run('update products set sales_count = ? where id = ?', 10_000 + i, product.id)
      top.push(product.id)
    }
    const soldOut = await createProduct(t, tokens.seller, { stockQuantity: 0 })
    const draft = await createProduct(t, tokens.seller, { status: 'DRAFT' })
    const deleted = await createProduct(t, tokens.seller)
    run(`update products set sales_count = 99999, status = 'DELETED' where id = ?`, deleted.id)
    run('update products set sales_count = 99999 where id in (?, ?)', soldOut.id, draft.id)

    const res = await t.request('GET', '/api/v1/products/popular')

    expect(res.status, res.text).toBe(200)
    expect(res.body.map((p: Item) => p.id)).toEqual(top.slice(2).reverse())
    expect(res.body.every((p: Item) => p.status === 'ON_SALE')).toBe(true)
  })
})
