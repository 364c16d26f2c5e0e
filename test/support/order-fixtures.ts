/**
 * Shared arrangements for the order tests: order bodies, placing and moving orders through the API, direct reads
 * of the stored rows (orders, outbox events, stock), a snapshot of everything a refused write must leave alone,
 * and the order counters of /actuator/prometheus.
 */
import { expect } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { createProduct, storedProduct } from './catalog-fixtures'
import type { TestApp, TestResponse } from './harness'

export const SHIPPING_ADDRESS = {
  zipCode: '06236',
  address: '123 Teheran-ro, Gangnam-gu, Seoul',
  addressDetail: 'Apt 101',
  receiverName: 'Kim Buyer',
  receiverPhone: '010-1234-5678',
}

export type OrderLine = { productId: number; quantity: number }

export function orderBody(lines: OrderLine[], overrides: Record<string, unknown> = {}) {
  return { orderItems: lines, shippingAddress: SHIPPING_ADDRESS, ...overrides }
}

export function postOrder(t: TestApp, token: string, body: unknown, idempotencyKey?: string) {
  const headers = idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey }
  return t.request('POST', '/api/v1/orders', { token, body, headers })
}

/** Places an order that must succeed and returns the order body. */
export async function placeOrder(t: TestApp, token: string, lines: OrderLine[]) {
  const res = await postOrder(t, token, orderBody(lines))
  expect(res.status, res.text).toBe(201)
  return res.body
}

/** A fresh ON_SALE product of `sellerToken`'s seller with the given stock and price; returns its id. */
export async function freshProduct(
  t: TestApp,
  sellerToken: string,
  stockQuantity = 10,
  price = 10_000,
): Promise<number> {
  const product = await createProduct(t, sellerToken, { stockQuantity, price, status: 'ON_SALE' })
  return product.id
}

export function changeStatus(t: TestApp, token: string, orderId: number, status: string, sellerId?: number) {
  const body = sellerId === undefined ? { status } : { status, sellerId }
  return t.request('PATCH', `/api/v1/sellers/orders/${orderId}/status`, { token, body })
}

export function cancelOrder(t: TestApp, token: string, orderId: number) {
  return t.request('POST', `/api/v1/orders/${orderId}/cancel`, { token })
}

export function stockOf(t: TestApp, productId: number): { stock: number; status: string; sales: number } {
  const row = storedProduct(t, productId)
  if (!row) throw new Error(`product ${productId} is not stored`)
  return { stock: row.stock_quantity, status: row.status, sales: row.sales_count }
}

type CountedTable = 'orders' | 'order_items' | 'order_parts' | 'outbox_events' | 'idempotency_keys'

export function countOf(t: TestApp, table: CountedTable): number {
  return (
    localFileOf(t.deps.database).sqlite.query(`select count(*) as n from ${table}`).get() as { n: number }
  ).n
}

export type StoredOrder = {
  id: number
  status: string
  buyer_id: number
  total_amount: number
  updated_at: number
}

export function storedOrder(t: TestApp, id: number): StoredOrder | null {
  return localFileOf(t.deps.database)
    .sqlite.query('select * from orders where id = ?')
    .get(id) as StoredOrder | null
}

export type OutboxRow = {
  id: number
  event_id: string
  event_type: string
  aggregate_id: string
  payload: string
}

/** The outbox rows of one order, oldest first. */
export function outboxOf(t: TestApp, orderId: number): OutboxRow[] {
  return localFileOf(t.deps.database)
    .sqlite.query(
      "select * from outbox_events where aggregate_type = 'Order' and aggregate_id = ? order by id",
    )
    .all(String(orderId)) as OutboxRow[]
}

/** Everything a refused order write must leave as it was: the products' stock and every order-related count. */
export function snapshotOf(t: TestApp, productIds: number[]) {
  return {
    stock: productIds.map((id) => stockOf(t, id)),
    orders: countOf(t, 'orders'),
    orderItems: countOf(t, 'order_items'),
    orderParts: countOf(t, 'order_parts'),
    outbox: countOf(t, 'outbox_events'),
    idempotencyKeys: countOf(t, 'idempotency_keys'),
  }
}

/**
 * The value of one series (its name and exact label set as exposed, e.g. `x_total{reason="A"}`) in a Prometheus
 * text exposition; 0 when the series is absent (not created yet).
 */
export function sampleOf(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1).split(' ')[0]) : 0
}

/** Reads a counter (with its label set, e.g. `{reason="PRODUCT_OUT_OF_STOCK"}`) from /actuator/prometheus. */
export async function counterValue(t: TestApp, name: string, labels = ''): Promise<number> {
  const res = await t.request('GET', '/actuator/prometheus')
  expect(res.status, res.text).toBe(200)
  return sampleOf(res.text, `${name}${labels}`)
}

/** Asserts a successful order answer: status, Location and the order body. */
export function expectOrderResponse(res: TestResponse, status: 200 | 201): void {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type'), res.text).toContain('application/json')
  if (status === 201) expect(res.headers.get('location')).toBe(`/api/v1/orders/${res.body.id}`)
  expect(res.body.orderNumber, res.text).toMatch(/^[0-9A-F]{16}$/)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Asserts a stored outbox row carries the SPEC §10 envelope for `eventType` of order `orderId`; returns it. */
export function expectOrderEnvelope(row: OutboxRow | undefined, eventType: string, orderId: number) {
  expect(row, `no ${eventType} outbox row for order ${orderId}`).toBeDefined()
  const envelope = JSON.parse(row!.payload)
  expect(Object.keys(envelope).sort()).toEqual(
    ['aggregateId', 'aggregateType', 'eventId', 'eventType', 'occurredAt', 'payload', 'version'].sort(),
  )
  expect(envelope).toMatchObject({
    eventType,
    aggregateType: 'Order',
    aggregateId: String(orderId),
    version: 1,
  })
  expect(envelope.eventId).toMatch(UUID)
  expect(envelope.eventId).toBe(row!.event_id)
  expect(new Date(envelope.occurredAt).toISOString()).toBe(envelope.occurredAt)
  expect(envelope.payload.orderId).toBe(orderId)
  return envelope
}

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED'
export const ORDER_STATUSES: OrderStatus[] = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']

/**
 * The moves that bring a new order to each status: the buyer pays (which confirms it), then the seller moves its
 * part.
 */
const PATH_TO: Record<OrderStatus, { by: 'buyer' | 'seller'; to: OrderStatus }[]> = {
  PENDING: [],
  CONFIRMED: [{ by: 'buyer', to: 'CONFIRMED' }],
  SHIPPED: [
    { by: 'buyer', to: 'CONFIRMED' },
    { by: 'seller', to: 'SHIPPED' },
  ],
  DELIVERED: [
    { by: 'buyer', to: 'CONFIRMED' },
    { by: 'seller', to: 'SHIPPED' },
    { by: 'seller', to: 'DELIVERED' },
  ],
  CANCELLED: [{ by: 'seller', to: 'CANCELLED' }],
}

export type OrderTokens = { seller: string; buyer: string; admin: string }

/** The buyer pays `orderId` through the payment gateway simulator: the only way to CONFIRMED. */
export async function payOrder(t: TestApp, buyerToken: string, orderId: number) {
  const res = await t.request('POST', `/api/v1/orders/${orderId}/payment`, { token: buyerToken })
  expect(res.status, res.text).toBe(200)
  return res
}

/** Moves `orderId` (a new PENDING order holding only the seller's lines) to `status`. */
export async function moveOrderTo(t: TestApp, tokens: OrderTokens, orderId: number, status: OrderStatus) {
  for (const step of PATH_TO[status]) {
    if (step.to === 'CONFIRMED') {
      await payOrder(t, tokens.buyer, orderId)
      continue
    }
    const res = await changeStatus(t, tokens[step.by], orderId, step.to)
    expect(res.status, res.text).toBe(200)
  }
}

/** A fresh product of `seller` (stock 5) and an order of `buyer` for 2 of it, moved to `status`. */
export async function orderIn(t: TestApp, tokens: OrderTokens, status: OrderStatus) {
  const productId = await freshProduct(t, tokens.seller, 5)
  const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])
  await moveOrderTo(t, tokens, order.id, status)
  return { orderId: order.id as number, productId }
}

export type StoredPart = { seller_id: number; status: string; subtotal: number; updated_at: number }

/** The stored parts of an order, by seller id. */
export function storedParts(t: TestApp, orderId: number): StoredPart[] {
  return localFileOf(t.deps.database)
    .sqlite.query(
      'select seller_id, status, subtotal, updated_at from order_parts where order_id = ? order by seller_id',
    )
    .all(orderId) as StoredPart[]
}

/** What a refused status change must leave alone: the stored order and its parts, the stock and every count. */
export function orderStateOf(t: TestApp, orderId: number, productIds: number | number[]) {
  const ids = Array.isArray(productIds) ? productIds : [productIds]
  return { order: storedOrder(t, orderId), parts: storedParts(t, orderId), ...snapshotOf(t, ids) }
}
