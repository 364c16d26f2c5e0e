/**
 * The authorization matrix rows of the order routes (SPEC §4): `B` places, lists and cancels its own orders;
 * `U` reads an order it takes part in (its buyer and admins the whole order, a seller of one of its lines only
 * its own part); `S` lists and moves its own parts, and an admin may act for any seller. Someone else's order is a
 * 404, never a 403. Every row that touches an order places a fresh one (of the demo buyer, for fresh products of
 * the demo seller and, in the two-seller rows, of the other seller too), so the callers never disturb each other.
 */
import { expect } from 'bun:test'
import {
  type AuthorizationCase,
  type Caller,
  hidden,
  type MatrixFixture,
  type Outcome,
  signedIn,
} from './authorization-outcomes'
import type { Persona } from './harness'

const SHIPPING_ADDRESS = {
  zipCode: '06236',
  address: '123 Teheran-ro, Gangnam-gu, Seoul',
  receiverName: 'Matrix Buyer',
  receiverPhone: '010-1234-5678',
}

/** Body of a one-line order for `productId`. */
function orderBodyFor(productId: number) {
  return { orderItems: [{ productId, quantity: 1 }], shippingAddress: SHIPPING_ADDRESS }
}

/** A fresh PENDING order of the demo buyer for a fresh product of the demo seller; returns its id. */
async function placeDemoBuyerOrder(f: MatrixFixture): Promise<number> {
  const productId = await f.createSellerProduct('ON_SALE')
  const res = await f.t.request('POST', '/api/v1/orders', {
    token: f.tokens.buyer,
    body: orderBodyFor(productId),
  })
  expect(res.status, res.text).toBe(201)
  return res.body.id as number
}

/** A fresh PENDING order of the demo buyer holding one line of the demo seller and one of the other seller. */
async function placeTwoSellerOrder(f: MatrixFixture): Promise<number> {
  const lines = [
    { productId: await f.createSellerProduct('ON_SALE', 'seller'), quantity: 1 },
    { productId: await f.createSellerProduct('ON_SALE', 'otherSeller'), quantity: 2 },
  ]
  const res = await f.t.request('POST', '/api/v1/orders', {
    token: f.tokens.buyer,
    body: { orderItems: lines, shippingAddress: SHIPPING_ADDRESS },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.id as number
}

type OrderBody = {
  totalAmount: number
  orderItems: { sellerId: number; subtotal: number }[]
  parts: { sellerId: number; subtotal: number; status: string }[]
}

/**
 * What a caller may see of an order: a seller only its own lines, its own part and its subtotal as the total;
 * its buyer and admins every line and every part.
 */
function expectVisibleParts(order: OrderBody, caller: Persona, f: MatrixFixture): void {
  if (caller === 'seller' || caller === 'otherSeller') {
    const me = f.memberIds[caller]
    expect(order.orderItems.length, JSON.stringify(order)).toBeGreaterThan(0)
    expect(
      order.orderItems.every((item) => item.sellerId === me),
      JSON.stringify(order),
    ).toBe(true)
    expect(order.parts.map((part) => part.sellerId)).toEqual([me])
    expect(order.totalAmount).toBe(order.parts[0]!.subtotal)
  } else {
    const sellers = new Set(order.orderItems.map((item) => item.sellerId))
    expect(order.parts.map((part) => part.sellerId).sort()).toEqual([...sellers].sort())
  }
}

/** The demo buyer's order: its buyer, its seller and admins see it; the other buyer and seller get a 404. */
const ORDER_PARTICIPANTS: Record<Caller, Outcome> = {
  ...signedIn(200),
  otherBuyer: hidden('ORDER_NOT_FOUND'),
  otherSeller: hidden('ORDER_NOT_FOUND'),
}

export const ORDER_AUTHORIZATION_CASES: AuthorizationCase[] = [
  {
    route: 'POST /api/v1/orders',
    scenario: 'one line of a fresh product of the demo seller',
    expected: signedIn(201, ['BUYER']),
    arrange: async (f) => ({
      path: '/api/v1/orders',
      body: orderBodyFor(await f.createSellerProduct('ON_SALE')),
    }),
  },
  {
    route: 'GET /api/v1/orders',
    scenario: "the caller's own first page",
    expected: signedIn(200, ['BUYER']),
    arrange: () => ({ path: '/api/v1/orders' }),
  },
  {
    route: 'GET /api/v1/orders/:id',
    scenario: "an order of the demo buyer holding the demo seller's product",
    expected: ORDER_PARTICIPANTS,
    arrange: async (f) => ({ path: `/api/v1/orders/${await placeDemoBuyerOrder(f)}` }),
  },
  {
    route: 'GET /api/v1/orders/:id',
    scenario: 'an order holding lines of both sellers: each seller sees only its own part',
    expected: { ...signedIn(200), otherBuyer: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({ path: `/api/v1/orders/${await placeTwoSellerOrder(f)}` }),
    verify: (body, caller, f) => expectVisibleParts(body as OrderBody, caller, f),
  },
  {
    route: 'POST /api/v1/orders/:id/cancel',
    scenario: 'a fresh PENDING order of the demo buyer (its buyer only)',
    expected: { ...signedIn(200, ['BUYER']), otherBuyer: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({ path: `/api/v1/orders/${await placeDemoBuyerOrder(f)}/cancel` }),
  },
  {
    route: 'POST /api/v1/orders/:id/payment',
    scenario: 'a fresh PENDING order of the demo buyer (its buyer only): paid, CONFIRMED',
    expected: { ...signedIn(200, ['BUYER']), otherBuyer: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({ path: `/api/v1/orders/${await placeDemoBuyerOrder(f)}/payment` }),
  },
  {
    route: 'GET /api/v1/sellers/orders',
    scenario: "the seller's own first page, after an order holding both sellers' lines: only my lines",
    expected: signedIn(200, ['SELLER']),
    arrange: async (f) => {
      await placeTwoSellerOrder(f)
      return { path: '/api/v1/sellers/orders' }
    },
    verify: (body, caller, f) => {
      const page = body as { items: OrderBody[] }
      expect(page.items.length).toBeGreaterThan(0)
      for (const order of page.items) expectVisibleParts(order, caller, f)
    },
  },
  {
    route: 'PATCH /api/v1/sellers/orders/:id/status',
    scenario:
      "a fresh PENDING order holding the demo seller's product → CANCELLED (admins act for any seller)",
    expected: { ...signedIn(200, ['SELLER', 'ADMIN']), otherSeller: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({
      path: `/api/v1/sellers/orders/${await placeDemoBuyerOrder(f)}/status`,
      body: { status: 'CANCELLED' },
    }),
  },
  {
    route: 'PATCH /api/v1/sellers/orders/:id/status',
    scenario: "an order holding both sellers' lines → CANCELLED: each seller cancels only its own part",
    expected: signedIn(200, ['SELLER', 'ADMIN']),
    arrange: async (f) => ({
      path: `/api/v1/sellers/orders/${await placeTwoSellerOrder(f)}/status`,
      body: { status: 'CANCELLED' },
    }),
    verify: (body, caller, f) => {
      const order = body as OrderBody
      expectVisibleParts(order, caller, f)
      expect(order.parts.map((part) => part.status)).toEqual(order.parts.map(() => 'CANCELLED'))
    },
  },
]
