/**
 * Shared arrangements for the catalog tests: product bodies, creation through the API, and direct reads of the
 * stored rows (so a test can prove that a refused write changed nothing).
 */
import { expect } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { expectProblem, type TestApp, type TestResponse } from './harness'

export type StoredProduct = {
  id: number
  seller_id: number
  category_id: number | null
  name: string
  description: string | null
  price: number
  stock_quantity: number
  status: string
  sales_count: number
  version: number
  created_at: number
  updated_at: number
}

export function productBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Test product',
    description: 'A product made for a test',
    price: 10_000,
    stockQuantity: 5,
    categoryId: 1,
    status: 'ON_SALE',
    ...overrides,
  }
}

/** Creates a product through the API as `token`'s seller and returns the response body. */
export async function createProduct(t: TestApp, token: string, overrides: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/v1/products', { token, body: productBody(overrides) })
  expect(res.status, res.text).toBe(201)
  return res.body
}

export function storedProduct(t: TestApp, id: number): StoredProduct | null {
  return localFileOf(t.deps.database)
    .sqlite.query('select * from products where id = ?')
    .get(id) as StoredProduct | null
}

export function countRows(
  t: TestApp,
  table: 'products' | 'categories' | 'members' | 'product_images',
): number {
  return (
    localFileOf(t.deps.database).sqlite.query(`select count(*) as n from ${table}`).get() as { n: number }
  ).n
}

export async function memberIdOf(t: TestApp, token: string): Promise<number> {
  const res = await t.request('GET', '/api/v1/members/me', { token })
  expect(res.status, res.text).toBe(200)
  return res.body.id
}

/** Expects the 401 problem of a request without a token, with its Bearer challenge. */
export function expectUnauthenticated(res: TestResponse): void {
  expectProblem(res, 401, 'UNAUTHENTICATED')
  expect(res.headers.get('www-authenticate'), res.text).toContain('Bearer')
}
