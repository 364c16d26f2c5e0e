/**
 * Reading orders (SPEC §3 cursor lists, §4): GET /api/v1/orders/{id} for its buyer, a seller of one of its lines
 * or an admin (anyone else 404), and the cursor pages of GET /api/v1/orders (my orders) and
 * GET /api/v1/sellers/orders (orders holding my lines): walked without duplicates or gaps, cursors
 * tamper-evident and bound to the caller.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { expectUnauthenticated, memberIdOf } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'
import { freshProduct, placeOrder } from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })
let ids: Record<'buyer' | 'otherBuyer' | 'seller' | 'otherSeller', number>
/**
 * Orders of the demo buyer: sellerOnly (demo seller's line), otherSellerOnly, shared (a line of each),
 * twoOfMine (two lines of the demo seller: listed once); otherBuyers: the other buyer's, of the demo seller.
 */
let orders: Record<'sellerOnly' | 'otherSellerOnly' | 'shared' | 'twoOfMine' | 'otherBuyers', { id: number }>

beforeAll(async () => {
  ids = {
    buyer: await memberIdOf(t, tokens.buyer),
    otherBuyer: await memberIdOf(t, tokens.otherBuyer),
    seller: await memberIdOf(t, tokens.seller),
    otherSeller: await memberIdOf(t, tokens.otherSeller),
  }
  const mine = await freshProduct(t, tokens.seller, 1_000)
  const theirs = await freshProduct(t, tokens.otherSeller, 1_000)
  const alsoMine = await freshProduct(t, tokens.seller, 1_000)
  orders = {
    sellerOnly: await placeOrder(t, tokens.buyer, [{ productId: mine, quantity: 1 }]),
    otherSellerOnly: await placeOrder(t, tokens.buyer, [{ productId: theirs, quantity: 1 }]),
    shared: await placeOrder(t, tokens.buyer, [
      { productId: mine, quantity: 1 },
      { productId: theirs, quantity: 1 },
    ]),
    twoOfMine: await placeOrder(t, tokens.buyer, [
      { productId: mine, quantity: 1 },
      { productId: alsoMine, quantity: 1 },
    ]),
    otherBuyers: await placeOrder(t, tokens.otherBuyer, [{ productId: mine, quantity: 1 }]),
  }
  // enough orders for several pages of each list
  for (let i = 0; i < 9; i++)
    await placeOrder(t, tokens.buyer, [{ productId: i % 2 ? mine : theirs, quantity: 1 }])
  for (let i = 0; i < 4; i++) await placeOrder(t, tokens.otherBuyer, [{ productId: theirs, quantity: 1 }])
})

type Row = { id: number }
const sql = (query: string, ...params: number[]) =>
  (
    localFileOf(t.deps.database)
      .sqlite.query(query)
      .all(...params) as Row[]
  ).map((r) => r.id)

/** Follows nextCursor to the end; returns every id in the order served and the pages' sizes. */
async function walk(path: string, token: string, limit: number) {
  const seen: number[] = []
  const sizes: number[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor ? `?limit=${limit}&cursor=${cursor}` : `?limit=${limit}`
    const res = await t.request('GET', `${path}${query}`, { token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.hasNext, res.text).toBe(res.body.nextCursor !== null)
    seen.push(...res.body.items.map((o: Row) => o.id))
    sizes.push(res.body.items.length)
    cursor = res.body.nextCursor
  } while (cursor)
  return { seen, sizes }
}

async function firstCursor(path: string, token: string): Promise<string> {
  const res = await t.request('GET', `${path}?limit=2`, { token })
  expect(res.status, res.text).toBe(200)
  expect(res.body.nextCursor, res.text).toBeString()
  return res.body.nextCursor
}

/** The same cursor with one character changed (still valid base64url). */
const tampered = (cursor: string) =>
  `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`

describe('GET /api/v1/orders/{id}', () => {
  test('the buyer, the seller of a line and an admin all see the whole order', async () => {
    for (const token of [tokens.buyer, tokens.seller, tokens.admin]) {
      const res = await t.request('GET', `/api/v1/orders/${orders.sellerOnly.id}`, { token })

      expect(res.status, res.text).toBe(200)
      expect(res.body).toEqual(orders.sellerOnly)
    }
  })

  test('in an order holding lines of two sellers, each seller may read it', async () => {
    for (const token of [tokens.seller, tokens.otherSeller]) {
      const res = await t.request('GET', `/api/v1/orders/${orders.shared.id}`, { token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.id).toBe(orders.shared.id)
    }
  })

  test('another buyer and a seller with no line in it get 404 ORDER_NOT_FOUND, like an unknown id', async () => {
    const otherBuyer = await t.request('GET', `/api/v1/orders/${orders.sellerOnly.id}`, {
      token: tokens.otherBuyer,
    })
    const otherSeller = await t.request('GET', `/api/v1/orders/${orders.sellerOnly.id}`, {
      token: tokens.otherSeller,
    })
    const unknown = await t.request('GET', '/api/v1/orders/999999', { token: tokens.buyer })

    expectProblem(otherBuyer, 404, 'ORDER_NOT_FOUND')
    expectProblem(otherSeller, 404, 'ORDER_NOT_FOUND')
    expectProblem(unknown, 404, 'ORDER_NOT_FOUND')
    expect(otherBuyer.body.detail).toBe(unknown.body.detail.replace('999999', String(orders.sellerOnly.id)))
  })

  test('ids that are not positive integers are a 400 VALIDATION_FAILED', async () => {
    for (const id of ['abc', '1.5', '0', '-1', '99999999999999999999']) {
      const res = await t.request('GET', `/api/v1/orders/${id}`, { token: tokens.buyer })
      expectProblem(res, 400, 'VALIDATION_FAILED')
    }
  })

  test('without a token is a 401 with a Bearer challenge', async () => {
    expectUnauthenticated(await t.request('GET', `/api/v1/orders/${orders.sellerOnly.id}`))
  })
})

describe('GET /api/v1/orders', () => {
  test('walking the pages yields every order of mine exactly once, newest first, and nobody else’s', async () => {
    const expected = sql(
      'select id from orders where buyer_id = ? order by created_at desc, id desc',
      ids.buyer,
    )

    const { seen, sizes } = await walk('/api/v1/orders', tokens.buyer, 3)

    expect(seen).toEqual(expected)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).not.toContain(orders.otherBuyers.id)
    expect(sizes.slice(0, -1).every((n) => n === 3)).toBe(true)
  })

  test('the default page holds up to 20 orders with their lines', async () => {
    const res = await t.request('GET', '/api/v1/orders', { token: tokens.otherBuyer })

    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(5)
    expect(res.body).toMatchObject({ hasNext: false, nextCursor: null })
    for (const order of res.body.items) {
      expect(order.buyerId).toBe(ids.otherBuyer)
      expect(order.orderItems.length).toBeGreaterThan(0)
    }
  })

  test('a tampered cursor is a 400 INVALID_CURSOR, never a restart at page 1', async () => {
    const cursor = await firstCursor('/api/v1/orders', tokens.buyer)

    for (const bad of [tampered(cursor), cursor.slice(0, -2), 'garbage']) {
      const res = await t.request('GET', `/api/v1/orders?limit=2&cursor=${bad}`, { token: tokens.buyer })
      expectProblem(res, 400, 'INVALID_CURSOR')
    }
  })

  test("a buyer's cursor is a 400 for another buyer (it cannot reveal or page someone else's orders)", async () => {
    const cursor = await firstCursor('/api/v1/orders', tokens.buyer)

    const res = await t.request('GET', `/api/v1/orders?limit=2&cursor=${cursor}`, {
      token: tokens.otherBuyer,
    })

    expectProblem(res, 400, 'INVALID_CURSOR')
  })

  test('limit 0, 101 and text are a 400 VALIDATION_FAILED', async () => {
    for (const limit of ['0', '101', 'ten']) {
      const res = await t.request('GET', `/api/v1/orders?limit=${limit}`, { token: tokens.buyer })
      expectProblem(res, 400, 'VALIDATION_FAILED')
    }
  })

  test('without a token 401; a seller or an admin 403', async () => {
    expectUnauthenticated(await t.request('GET', '/api/v1/orders'))
    expectProblem(await t.request('GET', '/api/v1/orders', { token: tokens.seller }), 403, 'ACCESS_DENIED')
    expectProblem(await t.request('GET', '/api/v1/orders', { token: tokens.admin }), 403, 'ACCESS_DENIED')
  })
})

describe('GET /api/v1/sellers/orders', () => {
  const holdingLinesOf = (sellerId: number) =>
    sql(
      `select id from orders where id in (select order_id from order_items where seller_id = ?)
       order by created_at desc, id desc`,
      sellerId,
    )

  test('walking the pages yields every order holding one of my lines exactly once, newest first', async () => {
    for (const [token, sellerId] of [
      [tokens.seller, ids.seller],
      [tokens.otherSeller, ids.otherSeller],
    ] as const) {
      const { seen } = await walk('/api/v1/sellers/orders', token, 4)

      expect(seen).toEqual(holdingLinesOf(sellerId))
      expect(new Set(seen).size).toBe(seen.length)
    }
  })

  test('an order with lines of two sellers appears in both lists; one of a single seller only in that one', async () => {
    const mine = (await walk('/api/v1/sellers/orders', tokens.seller, 100)).seen
    const theirs = (await walk('/api/v1/sellers/orders', tokens.otherSeller, 100)).seen

    expect(mine).toContain(orders.shared.id)
    expect(theirs).toContain(orders.shared.id)
    expect(mine).toContain(orders.otherBuyers.id)
    expect(mine.filter((id) => id === orders.twoOfMine.id)).toHaveLength(1)
    expect(mine).not.toContain(orders.otherSellerOnly.id)
    expect(theirs).not.toContain(orders.sellerOnly.id)
  })

  test("a tampered cursor, another seller's cursor and a buyer's cursor are each a 400 INVALID_CURSOR", async () => {
    const sellerCursor = await firstCursor('/api/v1/sellers/orders', tokens.seller)
    const buyerCursor = await firstCursor('/api/v1/orders', tokens.buyer)
    const attempts = [
      { token: tokens.seller, cursor: tampered(sellerCursor) },
      { token: tokens.otherSeller, cursor: sellerCursor },
      { token: tokens.seller, cursor: buyerCursor },
    ]

    for (const { token, cursor } of attempts) {
      const res = await t.request('GET', `/api/v1/sellers/orders?limit=2&cursor=${cursor}`, { token })
      expectProblem(res, 400, 'INVALID_CURSOR')
    }
  })

  test('a seller without any sold line gets an empty page', async () => {
    const signup = await t.request('POST', '/api/v1/auth/signup', {
      body: {
        email: 'quiet-seller@example.com',
        password: 'password123',
        name: 'Quiet',
        role: 'SELLER',
        businessNumber: '111-11-11111',
      },
    })
    expect(signup.status, signup.text).toBe(201)
    const token = await t.login('quiet-seller@example.com', 'password123')

    const res = await t.request('GET', '/api/v1/sellers/orders', { token })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ items: [], nextCursor: null, hasNext: false })
  })

  test('without a token 401; a buyer or an admin 403', async () => {
    expectUnauthenticated(await t.request('GET', '/api/v1/sellers/orders'))
    expectProblem(
      await t.request('GET', '/api/v1/sellers/orders', { token: tokens.buyer }),
      403,
      'ACCESS_DENIED',
    )
    expectProblem(
      await t.request('GET', '/api/v1/sellers/orders', { token: tokens.admin }),
      403,
      'ACCESS_DENIED',
    )
  })
})
