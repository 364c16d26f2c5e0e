/**
 * The authorization matrix rows of the order routes (SPEC §4): `B` places, lists and cancels its own orders;
 * `U` reads an order it takes part in (its buyer, a seller of one of its lines, an admin); `S` lists and moves
 * the orders holding its lines, and an admin may act as any seller. Someone else's order is a 404, never a 403.
 * Every row that touches an order places a fresh one (of the demo buyer, for a fresh product of the demo
 * seller), so the callers never disturb each other.
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
    route: 'POST /api/v1/orders/:id/cancel',
    scenario: 'a fresh PENDING order of the demo buyer (its buyer only)',
    expected: { ...signedIn(200, ['BUYER']), otherBuyer: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({ path: `/api/v1/orders/${await placeDemoBuyerOrder(f)}/cancel` }),
  },
  {
    route: 'GET /api/v1/sellers/orders',
    scenario: "the seller's own first page",
    expected: signedIn(200, ['SELLER']),
    arrange: () => ({ path: '/api/v1/sellers/orders' }),
  },
  {
    route: 'PATCH /api/v1/sellers/orders/:id/status',
    scenario:
      "a fresh PENDING order holding the demo seller's product → CONFIRMED (admins act as any seller)",
    expected: { ...signedIn(200, ['SELLER', 'ADMIN']), otherSeller: hidden('ORDER_NOT_FOUND') },
    arrange: async (f) => ({
      path: `/api/v1/sellers/orders/${await placeDemoBuyerOrder(f)}/status`,
      body: { status: 'CONFIRMED' },
    }),
  },
]
