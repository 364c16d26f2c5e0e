// What every scenario shares: the base URL, one client identity per virtual user, and the API calls.
//
// Server settings the scenarios expect (all load comes from one machine, so limits need one identity per user):
// - TRUSTED_PROXIES set to the load generator's address (e.g. 127.0.0.1/32): each virtual user sends its own
//   X-Forwarded-For (10.x.y.z from its number), so the per-IP limit (RATE_LIMIT_IP_PER_SECOND) counts users, not
//   the machine;
// - the per-member order limit (RATE_LIMIT_ORDERS_PER_SECOND) stays on: each virtual user signs up an account of
//   its own (the signup limit is per address, so each user's address signs up once);
// - the demo data (SEED_DEMO_DATA=true): the seller account creates the scenario's products.
import { check, fail } from 'k6'
import http from 'k6/http'
import { addressOf, DEMO_PRODUCTS, SHIPPING_ADDRESS } from './fixtures.js'

export { addressOf, DEMO_PRODUCTS, SHIPPING_ADDRESS }

export const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080'

// a 409 (sold out, a status that cannot move) is an answer, not a failure: http_req_failed counts the rest
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }, 409))
/** A run's accounts are unique: several runs against one database never collide. */
export const RUN_ID = __ENV.RUN_ID || `${Date.now().toString(36)}`

/**
 * Request parameters for user `n`: its address, its token when given, a tag naming the endpoint.
 * @param {number} n
 * @param {string} name
 * @param {string} [token]
 * @param {Record<string, string>} [extraHeaders]
 * @returns {import('k6/http').RefinedParams<'text'>}
 */
export function paramsOf(n, name, token, extraHeaders = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', 'x-forwarded-for': addressOf(n), ...extraHeaders }
  if (token) headers.authorization = `Bearer ${token}`
  return { headers, tags: { name } }
}

/**
 * Logs `email` in; fails the iteration when it cannot.
 * @param {number} n
 * @param {string} email
 * @param {string} password
 * @returns {string} the access token
 */
export function login(n, email, password) {
  const res = http.post(
    `${BASE_URL}/api/v1/auth/login`,
    JSON.stringify({ email, password }),
    paramsOf(n, 'login'),
  )
  if (!check(res, { 'login 200': (r) => r.status === 200 })) fail(`login ${email}: ${res.status} ${res.body}`)
  return /** @type {string} */ (res.json('accessToken'))
}

/**
 * A buyer account of user `n` for this run, signed up from its own address, then logged in.
 * @param {number} n
 * @returns {string} the access token
 */
export function buyerOf(n) {
  const email = `k6-${RUN_ID}-${n}@example.com`
  const password = `k6-password-${n}`
  const body = JSON.stringify({ email, password, name: `k6 user ${n}`, role: 'BUYER' })
  const res = http.post(`${BASE_URL}/api/v1/auth/signup`, body, paramsOf(n, 'signup'))
  check(res, { 'signup 201 (or 409 on a re-run)': (r) => r.status === 201 || r.status === 409 })
  return login(n, email, password)
}

/**
 * An ON_SALE product of the demo seller with `stock` units; its id.
 * @param {number} stock
 * @param {number} [price]
 * @returns {number}
 */
export function productWithStock(stock, price = 10000) {
  const seller = login(0, 'seller@example.com', 'seller123!')
  const body = JSON.stringify({
    name: `k6 product ${RUN_ID}`,
    price,
    stockQuantity: stock,
    status: 'ON_SALE',
  })
  const res = http.post(`${BASE_URL}/api/v1/products`, body, paramsOf(0, 'create product', seller))
  if (res.status !== 201) fail(`create product: ${res.status} ${res.body}`)
  return /** @type {number} */ (res.json('id'))
}

/**
 * The product's stock and sales as the primary has them (read with a token: read-your-writes not needed here).
 * @param {number} productId
 * @returns {{ stockQuantity: number, salesCount: number, status: string }}
 */
export function productState(productId) {
  const res = http.get(`${BASE_URL}/api/v1/products/${productId}`, paramsOf(0, 'detail'))
  if (res.status !== 200) fail(`product ${productId}: ${res.status}`)
  return /** @type {{ stockQuantity: number, salesCount: number, status: string }} */ (res.json())
}

/**
 * Places an order of `quantity` units of `productId`.
 * @param {number} n
 * @param {string} token
 * @param {number} productId
 * @param {number} [quantity]
 */
export function placeOrder(n, token, productId, quantity = 1) {
  const body = JSON.stringify({ orderItems: [{ productId, quantity }], shippingAddress: SHIPPING_ADDRESS })
  return http.post(`${BASE_URL}/api/v1/orders`, body, paramsOf(n, 'order', token))
}

/**
 * Pays order `orderId` (an Idempotency-Key per order: a retry never charges twice).
 * @param {number} n
 * @param {string} token
 * @param {number} orderId
 */
export function pay(n, token, orderId) {
  const key = `k6-${RUN_ID}-pay-${orderId}`
  return http.post(
    `${BASE_URL}/api/v1/orders/${orderId}/payment`,
    null,
    paramsOf(n, 'payment', token, { 'idempotency-key': key }),
  )
}

/**
 * Breaks or heals a simulator through the admin API (it reaches every instance).
 * @param {'payment' | 'recommendation'} dependency
 * @param {Record<string, unknown>} change e.g. { mode: 'outage' } or { mode: 'healthy' }
 */
export function setFaults(dependency, change) {
  const admin = login(0, 'admin@example.com', 'admin123!')
  const res = http.post(
    `${BASE_URL}/api/v1/admin/faults`,
    JSON.stringify({ dependency, ...change }),
    paramsOf(0, 'faults', admin),
  )
  if (res.status !== 200) fail(`faults: ${res.status} ${res.body}`)
}
