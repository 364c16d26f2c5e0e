/**
 * The authorization matrix: for every /api/v1 route, what each caller gets (SPEC §3, §4 auth column).
 * One row per (route, scenario); `arrange` builds a fresh request per caller, so mutating rows (edit, delete,
 * upload, logout) act on their own product or token and never disturb each other. The same table tells
 * test/openapi.test.ts which operations must document bearer security, 401 and 403. The vocabulary (callers,
 * outcomes, helpers) is in test/support/authorization-outcomes.ts; the order rows in test/support/authorization-order-cases.ts,
 * the outbox rows in test/support/authorization-outbox-cases.ts.
 */
import { expect } from 'bun:test'
import { ORDER_AUTHORIZATION_CASES } from './authorization-order-cases'
import { OUTBOX_AUTHORIZATION_CASES } from './authorization-outbox-cases'
import {
  type AuthorizationCase,
  CALLERS,
  type Caller,
  everyone,
  hidden,
  type Outcome,
  signedIn,
} from './authorization-outcomes'
import { DEMO } from './harness'

export * from './authorization-outcomes'

/** `S (owner)` on a product of the demo seller: the other seller gets 404, not 403. */
function productOwnerOnly(status: 200 | 204): Record<Caller, Outcome> {
  return { ...signedIn(status, ['SELLER']), otherSeller: hidden('PRODUCT_NOT_FOUND') }
}

/** A 1×1 PNG: the smallest upload that passes the content check. */
const PNG_1X1 = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
)

function imageForm(): FormData {
  const form = new FormData()
  form.append('files', new File([PNG_1X1], 'pixel.png', { type: 'image/png' }))
  return form
}

export const AUTHORIZATION_CASES: AuthorizationCase[] = [
  {
    route: 'POST /api/v1/auth/signup',
    scenario: 'a new buyer account',
    expected: everyone(201),
    arrange: (f) => ({
      path: '/api/v1/auth/signup',
      body: {
        email: `${f.unique('signup')}@example.com`,
        password: 'password123',
        name: 'New',
        role: 'BUYER',
      },
    }),
  },
  {
    route: 'POST /api/v1/auth/login',
    scenario: 'the demo buyer signs in',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/auth/login', body: DEMO.buyer }),
  },
  {
    route: 'POST /api/v1/auth/refresh',
    scenario: 'a fresh refresh token of the demo buyer',
    expected: everyone(200),
    arrange: async (f) => ({
      path: '/api/v1/auth/refresh',
      body: { refreshToken: (await f.signIn('buyer')).refreshToken },
    }),
  },
  {
    route: 'POST /api/v1/auth/logout',
    scenario: "the caller's own fresh session",
    expected: signedIn(204),
    arrange: async (f, caller) => {
      if (caller === 'anonymous') return { path: '/api/v1/auth/logout' }
      const session = await f.signIn(caller)
      return {
        path: '/api/v1/auth/logout',
        token: session.accessToken,
        body: { refreshToken: session.refreshToken },
      }
    },
  },
  {
    route: 'GET /api/v1/members/me',
    scenario: 'my profile',
    expected: signedIn(200),
    arrange: () => ({ path: '/api/v1/members/me' }),
  },
  {
    route: 'PATCH /api/v1/members/me',
    scenario: 'a new phone number',
    expected: signedIn(200),
    arrange: () => ({ path: '/api/v1/members/me', body: { phone: '010-9999-0000' } }),
  },
  {
    route: 'GET /api/v1/admin/members',
    scenario: 'the first page',
    expected: signedIn(200, ['ADMIN']),
    arrange: () => ({ path: '/api/v1/admin/members' }),
  },
  {
    route: 'GET /api/v1/categories',
    scenario: 'all categories',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/categories' }),
  },
  {
    route: 'GET /api/v1/categories/:id',
    scenario: 'demo category 1',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/categories/1' }),
  },
  {
    route: 'POST /api/v1/admin/categories',
    scenario: 'a new top-level category',
    expected: signedIn(201, ['ADMIN']),
    arrange: (f) => ({ path: '/api/v1/admin/categories', body: { name: f.unique('Category') } }),
  },
  {
    route: 'GET /api/v1/products',
    scenario: 'the first page of the public search',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/products' }),
  },
  {
    route: 'GET /api/v1/products/cursor',
    scenario: 'the first cursor page',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/products/cursor' }),
  },
  {
    route: 'GET /api/v1/products/popular',
    scenario: 'the top ten',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/products/popular' }),
  },
  {
    route: 'GET /api/v1/products/recommendations',
    scenario: "the caller's recommendations (any signed-in user)",
    expected: signedIn(200),
    arrange: () => ({ path: '/api/v1/products/recommendations' }),
  },
  {
    route: 'POST /api/v1/admin/faults',
    scenario: 'heal the recommendation simulator (admin only)',
    expected: signedIn(200, ['ADMIN']),
    arrange: () => ({
      path: '/api/v1/admin/faults',
      body: { dependency: 'recommendation', mode: 'healthy' },
    }),
  },
  {
    route: 'GET /api/v1/products/:id',
    scenario: 'an ON_SALE demo product',
    expected: everyone(200),
    arrange: () => ({ path: '/api/v1/products/1' }),
  },
  {
    route: 'GET /api/v1/products/:id',
    scenario: 'a DRAFT of the demo seller (visible to its seller and admins only)',
    expected: {
      ...everyone(200),
      anonymous: hidden('PRODUCT_NOT_FOUND'),
      buyer: hidden('PRODUCT_NOT_FOUND'),
      otherBuyer: hidden('PRODUCT_NOT_FOUND'),
      otherSeller: hidden('PRODUCT_NOT_FOUND'),
    },
    arrange: async (f) => ({ path: `/api/v1/products/${await f.createSellerProduct('DRAFT')}` }),
  },
  {
    route: 'GET /api/v1/products/:id',
    scenario: 'a DELETED product (hidden from everyone, its seller and admins included)',
    expected: Object.fromEntries(CALLERS.map((c) => [c, hidden('PRODUCT_NOT_FOUND')])) as Record<
      Caller,
      Outcome
    >,
    arrange: async (f) => {
      const id = await f.createSellerProduct('ON_SALE')
      const res = await f.t.request('DELETE', `/api/v1/products/${id}`, { token: f.tokens.seller })
      expect(res.status, res.text).toBe(204)
      return { path: `/api/v1/products/${id}` }
    },
  },
  {
    route: 'POST /api/v1/products',
    scenario: 'a new ON_SALE product',
    expected: signedIn(201, ['SELLER']),
    arrange: () => ({
      path: '/api/v1/products',
      body: { name: 'Matrix product', price: 1000, stockQuantity: 3, categoryId: 1, status: 'ON_SALE' },
    }),
  },
  {
    route: 'PATCH /api/v1/products/:id',
    scenario: 'a fresh product of the demo seller, new price',
    expected: productOwnerOnly(200),
    arrange: async (f) => ({
      path: `/api/v1/products/${await f.createSellerProduct('ON_SALE')}`,
      body: { price: 4321 },
    }),
  },
  {
    route: 'DELETE /api/v1/products/:id',
    scenario: 'a fresh product of the demo seller',
    expected: productOwnerOnly(204),
    arrange: async (f) => ({ path: `/api/v1/products/${await f.createSellerProduct('ON_SALE')}` }),
  },
  {
    route: 'POST /api/v1/products/:id/images',
    scenario: 'one PNG for a fresh product of the demo seller',
    expected: productOwnerOnly(200),
    arrange: async (f) => ({
      path: `/api/v1/products/${await f.createSellerProduct('ON_SALE')}/images`,
      rawBody: imageForm(),
    }),
  },
  {
    route: 'GET /api/v1/sellers/me/products',
    scenario: "the seller's own first page",
    expected: signedIn(200, ['SELLER']),
    arrange: () => ({ path: '/api/v1/sellers/me/products' }),
  },
  ...ORDER_AUTHORIZATION_CASES,
  ...OUTBOX_AUTHORIZATION_CASES,
]
