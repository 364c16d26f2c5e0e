/**
 * Numbers in paths and query strings have one spelling (issue #9 item 3): plain decimal digits, no sign, no leading
 * zero. Every other spelling (`0x1`, `1e0`, `1.0`, ` 1`, `+1`, `01`) is a 400 VALIDATION_FAILED naming the
 * parameter, never a silent conversion, and a refused write changes nothing. The parameters under test come from
 * the OpenAPI document itself (every numeric path or query parameter), so a new one is covered the day it ships;
 * who may call each route comes from the authorization matrix (test/support/authorization-cases.ts).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { AUTHORIZATION_CASES, type Caller } from '../support/authorization-cases'
import { storedProduct } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'
import { freshProduct, placeOrder, storedOrder } from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })
type NumericParameter = {
  route: string
  name: string
  in: 'path' | 'query'
  description?: string
  schema: any
}
let numericParameters: NumericParameter[]

beforeAll(async () => {
  const doc = (await t.request('GET', '/v3/api-docs')).body
  numericParameters = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
    ([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        (operation.parameters ?? [])
          .filter((p: any) => ['integer', 'number'].includes(p.schema?.type) || p.schema?.anyOf)
          .map((p: any) => ({
            ...p,
            route: `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`,
          })),
      ),
  )
})

/** Spellings of "one" (or of a number) that are not the canonical decimal digits, as they appear in a URL. */
const HOSTILE = [
  ['0x1', 'hexadecimal'],
  ['1e0', 'exponent'],
  ['1.0', 'fraction'],
  ['%201', 'leading space'],
  ['1%20', 'trailing space'],
  ['%2B1', 'plus sign'],
  ['-1', 'minus sign'],
  ['01', 'leading zero'],
  ['%EF%BC%91', 'full-width digit one'],
  ['1_0', 'digit separator'],
  ['Infinity', 'Infinity'],
  ['9007199254740992', '2^53, past the largest id'],
] as const

/** A caller the route lets through authentication and role checks, so validation is what answers. */
function callerFor(route: string): Caller {
  const row = AUTHORIZATION_CASES.find((r) => r.route === route)
  if (!row) throw new Error(`${route} has no row in the authorization matrix`)
  const caller = (Object.keys(row.expected) as Caller[]).find((c) =>
    ['allowed', 'hidden'].includes(row.expected[c].kind),
  )
  if (!caller) throw new Error(`${route}: nobody may call it`)
  return caller
}

/** A body the route accepts, so only the parameter can be at fault. */
function validBodyFor(route: string): { body?: unknown; rawBody?: FormData } {
  if (route.endsWith('/images')) {
    const form = new FormData()
    form.append('files', new File([new Uint8Array([1])], 'x.png', { type: 'image/png' }))
    return { rawBody: form }
  }
  if (route.endsWith('/status')) return { body: { status: 'SHIPPED' } }
  if (route.startsWith('PATCH')) return { body: {} }
  return {}
}

function send(route: string, parameter: { name: string; in: 'path' | 'query' }, raw: string) {
  const [method, template] = route.split(' ') as [string, string]
  const path =
    parameter.in === 'path'
      ? template.replace(`:${parameter.name}`, raw)
      : `${template}?${parameter.name}=${raw}`
  const caller = callerFor(route)
  return t.request(method, path, {
    token: caller === 'anonymous' ? undefined : tokens[caller],
    ...validBodyFor(route),
  })
}

describe('every numeric path and query parameter of the OpenAPI document', () => {
  test('the document declares the ones issue #9 names (ids, page, size, limit, prices, category, seller)', () => {
    const names = new Set(numericParameters.map((p) => p.name))

    for (const name of ['id', 'page', 'size', 'limit', 'minPrice', 'maxPrice', 'categoryId', 'sellerId'])
      expect(names.has(name), [...names].join(', ')).toBe(true)
  })

  test.each(HOSTILE)(
    '%s (%s) is a 400 VALIDATION_FAILED naming the parameter, on every route',
    async (raw) => {
      expect(numericParameters.length).toBeGreaterThan(20)
      for (const parameter of numericParameters) {
        const res = await send(parameter.route, parameter, raw)

        const where = `${parameter.route} ${parameter.name}=${raw}: ${res.text}`
        expect(res.status, where).toBe(400)
        expectProblem(res, 400, 'VALIDATION_FAILED')
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          where,
        ).toEqual([parameter.name])
        expect(res.body.detail, where).toContain(parameter.name)
      }
    },
  )

  test('an empty query value is refused too, not read as 0 or as absent', async () => {
    expect(numericParameters.length).toBeGreaterThan(20)
    for (const parameter of numericParameters.filter((p) => p.in === 'query')) {
      const res = await send(parameter.route, parameter, '')

      expect(res.status, `${parameter.route} ${parameter.name}=: ${res.text}`).toBe(400)
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([parameter.name])
    }
  })

  test('each is a plain integer schema with its spelling rule in the parameter description', () => {
    expect(numericParameters.length).toBeGreaterThan(20)
    for (const { route, name, description, schema } of numericParameters) {
      expect(schema.type, `${route} ${name}: ${JSON.stringify(schema)}`).toBe('integer')
      expect(description, `${route} ${name}`).toContain('Plain decimal digits only')
    }
  })
})

describe('canonical spellings', () => {
  test('are accepted and reach the handler as numbers: page, size, prices, category and seller', async () => {
    const res = await t.request(
      'GET',
      '/api/v1/products?page=0&size=1&minPrice=0&maxPrice=1000000000&categoryId=1&sellerId=2',
    )

    expect(res.status, res.text).toBe(200)
    expect(res.body.page).toMatchObject({ number: 0, size: 1 })
    expect(res.body.items.length).toBe(1)
  })

  test('the largest id (2^53 - 1) is a 404, not a 400; page 1000000 is an empty page, 1000001 a 400', async () => {
    const largest = await t.request('GET', '/api/v1/products/9007199254740991')
    const lastPage = await t.request('GET', '/api/v1/products?page=1000000')
    const pastLastPage = await t.request('GET', '/api/v1/products?page=1000001')

    expectProblem(largest, 404, 'PRODUCT_NOT_FOUND')
    expect(lastPage.status, lastPage.text).toBe(200)
    expect(lastPage.body.page.number).toBe(1_000_000)
    expectProblem(pastLastPage, 400, 'VALIDATION_FAILED')
    expect(pastLastPage.body.errors).toEqual([{ field: 'page', message: 'must be at most 1000000' }])
  })

  test('limit and size keep their bounds: 100 is accepted, 101 and 0 are 400 naming the parameter', async () => {
    expect((await t.request('GET', '/api/v1/products/cursor?limit=100')).status).toBe(200)
    for (const query of ['limit=101', 'limit=0']) {
      const res = await t.request('GET', `/api/v1/products/cursor?${query}`)
      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['limit'])
    }
  })
})

describe('a refused id changes nothing (the write is never aimed at the number it resembles)', () => {
  test('PATCH and DELETE /products/01, /products/1e0 leave product 1 as it was', async () => {
    const before = storedProduct(t, 1)

    const patch = await t.request('PATCH', '/api/v1/products/01', {
      token: tokens.seller,
      body: { name: 'Hijacked' },
    })
    const remove = await t.request('DELETE', '/api/v1/products/1e0', { token: tokens.seller })

    expectProblem(patch, 400, 'VALIDATION_FAILED')
    expectProblem(remove, 400, 'VALIDATION_FAILED')
    expect(storedProduct(t, 1)).toEqual(before)
    const read = await t.request('GET', '/api/v1/products/1')
    expect(read.body).toMatchObject({ name: before?.name, status: 'ON_SALE', version: before?.version })
  })

  test('cancel and status change of an order through a hostile spelling of its id leave the order PENDING', async () => {
    const productId = await freshProduct(t, tokens.seller)
    const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])

    const cancel = await t.request('POST', `/api/v1/orders/0${order.id}/cancel`, { token: tokens.buyer })
    const status = await t.request('PATCH', `/api/v1/sellers/orders/${order.id}.0/status`, {
      token: tokens.seller,
      body: { status: 'CANCELLED' },
    })

    expectProblem(cancel, 400, 'VALIDATION_FAILED')
    expectProblem(status, 400, 'VALIDATION_FAILED')
    expect(storedOrder(t, order.id)?.status).toBe('PENDING')
    const read = await t.request('GET', `/api/v1/orders/${order.id}`, { token: tokens.buyer })
    expect(read.body.status, read.text).toBe('PENDING')
  })
})
