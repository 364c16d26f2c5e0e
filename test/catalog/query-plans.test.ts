/**
 * Holds every product list query to an index: EXPLAIN QUERY PLAN over a few thousand products must show no full
 * table scan of `products` and no temporary B-tree for ORDER BY. The SQL is not copied here: the real
 * ProductsRepository runs over a client that records each executed statement and its parameters, so the plans
 * are those of exactly the SQL the service sends. Plans are checked before and after ANALYZE, since
 * statistics (e.g. from `PRAGMA optimize`) can change the planner's choice.
 */

import type { Database } from 'bun:sqlite'
import { beforeAll, describe, expect, test } from 'bun:test'
import { drizzle } from 'drizzle-orm/bun-sqlite'
import * as schema from '../../db/schema'
import { ProductsRepository } from '../../src/modules/catalog/products.repository'
import { localFileOf } from '../../src/platform/db/connections'
import { type TestApp, useTestApp } from '../support/harness'

const PRODUCTS = 5_000
const SELLERS = 20
const CATEGORIES = 12
const STATUSES = [
  'ON_SALE',
  'ON_SALE',
  'ON_SALE',
  'ON_SALE',
  'ON_SALE',
  'ON_SALE',
  'SOLD_OUT',
  'DRAFT',
  'DELETED',
]

const { t } = useTestApp()
let repository: ProductsRepository
let firstSellerId: number
const captured: { sql: string; params: unknown[] }[] = []

function insertBulkProducts(app: TestApp): void {
  const sqlite = localFileOf(app.deps.database).sqlite
  sqlite.transaction(() => {
    const addMember = sqlite.prepare(
      `insert into members (email, password_hash, name, role, business_number)
       values (?, 'not-a-hash', 'Bulk seller', 'SELLER', '000-00-00000') returning id`,
    )
    const sellerIds = Array.from(
      { length: SELLERS },
      (_, i) => (addMember.get(`bulk-${i}@example.com`) as { id: number }).id,
    )
    firstSellerId = sellerIds[0]!
    const addCategory = sqlite.prepare(`insert into categories (name, display_order) values (?, ?)`)
    for (let i = 0; i < CATEGORIES; i++) addCategory.run(`Bulk category ${i}`, 10 + i)
    const addProduct = sqlite.prepare(
      `insert into products (seller_id, category_id, name, description, price, stock_quantity, status, sales_count,
         created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const start = Date.parse('2025-01-01T00:00:00.000Z')
    for (let i = 0; i < PRODUCTS; i++) {
      const status = STATUSES[i % STATUSES.length]!
      const createdAt = start + i * 7_919
      addProduct.run(
        sellerIds[i % SELLERS]!,
        (i % (CATEGORIES + 3)) + 1,
        `Bulk product ${i}`,
        `Description ${i}`,
        (i * 104_729) % 2_000_000,
        status === 'SOLD_OUT' ? 0 : 1 + (i % 50),
        status,
        (i * 7_907) % 10_000,
        createdAt,
        createdAt,
      )
    }
  })()
}

/** The same database, recording every statement executed through `prepare(sql).values(...)`. */
function recordingClient(sqlite: Database): Database {
  const bound = (target: object, value: unknown) => (typeof value === 'function' ? value.bind(target) : value)
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop !== 'prepare') return bound(target, Reflect.get(target, prop))
      return (sql: string) => {
        const statement = target.prepare(sql)
        return new Proxy(statement, {
          get(inner, key) {
            if (key !== 'values') return bound(inner, Reflect.get(inner, key))
            return (...params: unknown[]) => {
              captured.push({ sql, params })
              return inner.values(...(params as never[]))
            }
          },
        })
      }
    },
  })
}

beforeAll(() => {
  insertBulkProducts(t)
  // The repository runs its SQL through bun:sqlite statements (src/platform/db/sql-reader.ts): record every
  // statement it executes, with its bound parameters, by wrapping the client it is given.
  const recording = recordingClient(localFileOf(t.deps.database).sqlite)
  const logging = drizzle({ client: recording, schema })
  repository = new ProductsRepository(logging)
})

const after = { createdAtMs: Date.parse('2025-01-01T00:00:00.000Z') + 2_500 * 7_919, id: 2_500 }

/** Each list query the catalog runs, called through the repository exactly as ProductsService calls it. */
const QUERIES: [string, () => unknown][] = [
  [
    'default search (createdAt desc)',
    () => repository.searchPublic({}, { field: 'createdAt', direction: 'desc' }, 0, 20),
  ],
  [
    'search sorted by createdAt asc, deep page',
    () => repository.searchPublic({}, { field: 'createdAt', direction: 'asc' }, 200, 20),
  ],
  [
    'search sorted by price asc',
    () => repository.searchPublic({}, { field: 'price', direction: 'asc' }, 0, 20),
  ],
  [
    'search sorted by price desc',
    () => repository.searchPublic({}, { field: 'price', direction: 'desc' }, 0, 20),
  ],
  [
    'search sorted by salesCount desc',
    () => repository.searchPublic({}, { field: 'salesCount', direction: 'desc' }, 0, 20),
  ],
  [
    'search sorted by salesCount asc',
    () => repository.searchPublic({}, { field: 'salesCount', direction: 'asc' }, 0, 20),
  ],
  [
    'search with a category filter',
    () => repository.searchPublic({ categoryId: 2 }, { field: 'createdAt', direction: 'desc' }, 0, 20),
  ],
  [
    'search with a sellerId filter',
    () =>
      repository.searchPublic({ sellerId: firstSellerId }, { field: 'createdAt', direction: 'desc' }, 0, 20),
  ],
  [
    'search with status=ON_SALE',
    () => repository.searchPublic({ status: 'ON_SALE' }, { field: 'createdAt', direction: 'desc' }, 0, 20),
  ],
  ['cursor first page (no cursor)', () => repository.cursorPublic({}, undefined, 20)],
  ['cursor later page (with cursor)', () => repository.cursorPublic({}, after, 20)],
  ['cursor later page with a category filter', () => repository.cursorPublic({ categoryId: 3 }, after, 20)],
  ['popular products', () => repository.popular(10)],
  ['the seller’s own products', () => repository.listBySeller(firstSellerId, 0, 20)],
]

/**
 * Runs `query`, then EXPLAIN QUERY PLAN on every statement it sent; returns the plan lines per statement. On
 * bun:sqlite every statement of a read runs before its first await, so `captured` is complete on return.
 */
function plansOf(query: () => unknown): { sql: string; plan: string[] }[] {
  captured.length = 0
  query()
  expect(captured.length).toBeGreaterThan(0)
  return captured.map(({ sql, params }) => ({
    sql,
    plan: (
      localFileOf(t.deps.database)
        .sqlite.query(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...(params as never[])) as {
        detail: string
      }[]
    ).map((row) => row.detail),
  }))
}

function expectIndexedPlans(name: string, query: () => unknown): void {
  for (const { sql, plan } of plansOf(query)) {
    const report = `${name}\n${sql}\n  ${plan.join('\n  ')}`
    expect(
      plan.some((line) => /^(SCAN|SEARCH) products\b/.test(line)),
      report,
    ).toBe(true)
    expect(
      plan.filter((line) => /^SCAN products$/.test(line)),
      report,
    ).toEqual([])
    expect(
      plan.filter((line) => line.includes('USE TEMP B-TREE FOR ORDER BY')),
      report,
    ).toEqual([])
  }
}

describe(`product list queries over ${PRODUCTS} products`, () => {
  test('the bulk data is in place and the queries return rows', async () => {
    const search = await repository.searchPublic({}, { field: 'createdAt', direction: 'desc' }, 0, 20)
    expect(search.total).toBeGreaterThan(3_000)
    expect(await repository.cursorPublic({}, after, 20)).toHaveLength(21)
    expect(await repository.popular(10)).toHaveLength(10)
  })

  describe('without statistics (a fresh database)', () => {
    for (const [name, query] of QUERIES) {
      test(`${name}: no full scan of products, no temp B-tree for ORDER BY`, () => {
        expectIndexedPlans(name, query)
      })
    }
  })

  describe('after ANALYZE', () => {
    beforeAll(() => {
      localFileOf(t.deps.database).sqlite.run('ANALYZE')
    })
    for (const [name, query] of QUERIES) {
      test(`${name}: no full scan of products, no temp B-tree for ORDER BY`, () => {
        expectIndexedPlans(name, query)
      })
    }
  })
})
