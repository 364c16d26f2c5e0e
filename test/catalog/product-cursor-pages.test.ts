import { beforeAll, describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { CursorCodec } from '../../src/platform/paging/cursor-codec'
import { productBody } from '../support/catalog-fixtures'
import { expectProblem, type TestResponse, useTestApp } from '../support/harness'

type Item = { id: number; categoryId: number | null; price: number; status: string }

const { t, tokens, server } = useTestApp({}, { tokens: true, listen: true })

const SEEDED = 60
/** Every 4 seeded products share one created_at millisecond, so page boundaries fall inside ties. */
const TIE_GROUP = 4

beforeAll(() => {
  const base = Date.parse('2026-01-01T00:00:00.000Z')
  const insert = localFileOf(t.deps.database).sqlite.prepare(
    `insert into products (seller_id, category_id, name, price, stock_quantity, status, created_at, updated_at)
     values (2, ?, ?, ?, ?, ?, ?, ?)`,
  )
  localFileOf(t.deps.database).sqlite.transaction(() => {
    for (let i = 0; i < SEEDED; i++) {
      // every 9th is a DRAFT and every 11th DELETED: they must never show up on any page
      const status = i % 9 === 4 ? 'DRAFT' : i % 11 === 5 ? 'DELETED' : i % 5 === 0 ? 'SOLD_OUT' : 'ON_SALE'
      const createdAt = base + Math.floor(i / TIE_GROUP) * 1000
      insert.run(
        (i % 3) + 1,
        `Seeded ${i}`,
        1000 * (i + 1),
        status === 'SOLD_OUT' ? 0 : 10,
        status,
        createdAt,
        createdAt,
      )
    }
  })()
})

async function fetchJson(path: string, init: RequestInit = {}): Promise<TestResponse> {
  const response = await fetch(`${server.baseUrl}${path}`, init)
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
    text,
  }
}

const cursorPage = (query: string) => fetchJson(`/api/v1/products/cursor?${query}`)

/** What the keyset walk must return: the public rows matching `where`, by (created_at DESC, id DESC). */
function expectedIds(where = '1 = 1', params: number[] = []): number[] {
  return (
    localFileOf(t.deps.database)
      .sqlite.query(
        `select id from products where status in ('ON_SALE', 'SOLD_OUT') and ${where}
         order by created_at desc, id desc`,
      )
      .all(...params) as { id: number }[]
  ).map((r) => r.id)
}

async function walk(query: string, limit: number, betweenPages: () => Promise<void> = async () => {}) {
  const ids: number[] = []
  const pages: Item[][] = []
  let cursor: string | null = null
  do {
    const suffix: string = cursor ? `&cursor=${cursor}` : ''
    const res = await cursorPage(`${query}&limit=${limit}${suffix}`)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.length).toBeLessThanOrEqual(limit)
    expect(res.body.hasNext).toBe(res.body.nextCursor !== null)
    pages.push(res.body.items)
    ids.push(...res.body.items.map((p: Item) => p.id))
    cursor = res.body.nextCursor
    if (pages.length > 100) throw new Error('the walk does not end')
    await betweenPages()
  } while (cursor)
  return { ids, pages }
}

describe('GET /api/v1/products/cursor', () => {
  describe('walking every page', () => {
    test('limit 7 to the end: every public product once, in order, while newer products keep arriving', async () => {
      const expected = expectedIds()
      let inserted = 0
      const insertNewProduct = async () => {
        const res = await fetchJson('/api/v1/products', {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.seller}`, 'content-type': 'application/json' },
          body: JSON.stringify(productBody({ name: `Arrived during the walk ${inserted++}` })),
        })
        expect(res.status, res.text).toBe(201)
      }

      const { ids, pages } = await walk('', 7, insertNewProduct)

      expect(inserted).toBeGreaterThan(5)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toEqual(expected)
      expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true)
      expect(pages.flat().every((p) => ['ON_SALE', 'SOLD_OUT'].includes(p.status))).toBe(true)
    })

    test('filters apply on every page', async () => {
      const { ids, pages } = await walk('categoryId=2&minPrice=5000&maxPrice=50000&status=ON_SALE', 3)

      expect(pages.length).toBeGreaterThan(2)
      for (const item of pages.flat()) {
        expect(item.categoryId).toBe(2)
        expect(item.price).toBeGreaterThanOrEqual(5000)
        expect(item.price).toBeLessThanOrEqual(50000)
        expect(item.status).toBe('ON_SALE')
      }
      const where = `category_id = 2 and price between 5000 and 50000 and status = 'ON_SALE'`
      expect(ids).toEqual(expectedIds(where))
    })

    test('the default limit is 20, and the last page has hasNext false and nextCursor null', async () => {
      const first = await cursorPage('')
      const last = await cursorPage('sellerId=1')

      expect(first.status, first.text).toBe(200)
      expect(first.body.items).toHaveLength(20)
      expect(first.body.hasNext).toBe(true)
      expect(last.status, last.text).toBe(200)
      expect(last.body).toEqual({ items: [], nextCursor: null, hasNext: false })
    })
  })

  describe('bad cursors', () => {
    let cursor: string
    beforeAll(async () => {
      cursor = (await cursorPage('limit=7&categoryId=1')).body.nextCursor
      expect(typeof cursor).toBe('string')
    })

    test('the issued cursor works with the same filters', async () => {
      const res = await cursorPage(`limit=7&categoryId=1&cursor=${cursor}`)

      expect(res.status, res.text).toBe(200)
    })

    test('a change of any single character is a 400 INVALID_CURSOR', async () => {
      for (let i = 0; i < cursor.length; i++) {
        const flipped = `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`

        const res = await cursorPage(`limit=7&categoryId=1&cursor=${flipped}`)

        expectProblem(res, 400, 'INVALID_CURSOR')
      }
    })

    test('a cursor reused with other filters is a 400 INVALID_CURSOR, not a silent restart', async () => {
      for (const filters of ['categoryId=2', '', 'categoryId=1&minPrice=1', 'categoryId=1&status=ON_SALE']) {
        expectProblem(await cursorPage(`limit=7&${filters}&cursor=${cursor}`), 400, 'INVALID_CURSOR')
      }
    })

    test('garbage, truncated and foreign-signed cursors are 400 INVALID_CURSOR', async () => {
      const foreign = new CursorCodec('another-secret-that-is-long-enough-0123456789').encode(
        { createdAtMs: Date.now(), id: 10 },
        { categoryId: 1 },
      )
      for (const bad of ['abc', 'A'.repeat(55), cursor.slice(0, -1), `${cursor}AA`, foreign]) {
        expectProblem(await cursorPage(`limit=7&categoryId=1&cursor=${bad}`), 400, 'INVALID_CURSOR')
      }
    })

    test('a cursor with characters outside base64url is a 400', async () => {
      for (const bad of ['not%20a%20cursor', `${cursor}%3D`, '%2F%2F%2F']) {
        const res = await cursorPage(`limit=7&categoryId=1&cursor=${bad}`)

        expect(res.status, res.text).toBe(400)
        expect(res.headers.get('content-type')).toContain('application/problem+json')
      }
    })
  })

  describe('bad queries', () => {
    test('limit over 100, limit 0 and a non-numeric limit are 400 VALIDATION_FAILED', async () => {
      for (const limit of ['101', '100000', '0', '-1', 'ten']) {
        expectProblem(await cursorPage(`limit=${limit}`), 400, 'VALIDATION_FAILED')
      }
    })

    test('status=DRAFT and minPrice over maxPrice are 400 VALIDATION_FAILED', async () => {
      expectProblem(await cursorPage('status=DRAFT'), 400, 'VALIDATION_FAILED')
      expectProblem(await cursorPage('minPrice=10&maxPrice=5'), 400, 'VALIDATION_FAILED')
    })
  })
})
