/**
 * POST /api/v1/orders (SPEC §4, §5), orders that succeed: stock taken atomically in ascending product id,
 * duplicate lines merged, SOLD_OUT at exactly 0, name and price snapshots, the order.created outbox event in the
 * same transaction, no overselling under concurrent orders. Refusals: test/orders/refusals.test.ts; reads:
 * test/orders/reads.test.ts; lifecycle: test/orders/lifecycle.test.ts, test/orders/transitions.test.ts; keys:
 * test/orders/idempotency.test.ts.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createProduct } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'
import {
  expectOrderEnvelope,
  expectOrderResponse,
  freshProduct,
  orderBody,
  outboxOf,
  placeOrder,
  postOrder,
  SHIPPING_ADDRESS,
  snapshotOf,
  stockOf,
  storedOrder,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })
let buyerId: number
beforeAll(async () => {
  buyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.buyer })).body.id
})

describe('POST /api/v1/orders', () => {
  describe('happy', () => {
    test('a two-line order is 201 with Location, PENDING, name/price snapshots, subtotals and the total', async () => {
      const lamp = await createProduct(t, tokens.seller, { name: 'Lamp', price: 12_000, stockQuantity: 10 })
      const desk = await createProduct(t, tokens.otherSeller, {
        name: 'Desk',
        price: 80_000,
        stockQuantity: 4,
      })

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId: lamp.id, quantity: 3 },
          { productId: desk.id, quantity: 1 },
        ]),
      )

      expectOrderResponse(res, 201)
      expect(res.body).toMatchObject({
        buyerId,
        status: 'PENDING',
        totalAmount: 3 * 12_000 + 80_000,
        shippingAddress: SHIPPING_ADDRESS,
      })
      expect(res.body.orderItems.map(({ id: _id, ...line }: { id: number }) => line)).toEqual([
        {
          productId: lamp.id,
          sellerId: lamp.sellerId,
          productName: 'Lamp',
          productPrice: 12_000,
          quantity: 3,
          subtotal: 36_000,
        },
        {
          productId: desk.id,
          sellerId: desk.sellerId,
          productName: 'Desk',
          productPrice: 80_000,
          quantity: 1,
          subtotal: 80_000,
        },
      ])
      expect(stockOf(t, lamp.id)).toEqual({ stock: 7, status: 'ON_SALE', sales: 3 })
      expect(stockOf(t, desk.id)).toEqual({ stock: 3, status: 'ON_SALE', sales: 1 })
      expect(storedOrder(t, res.body.id)).toMatchObject({
        status: 'PENDING',
        total_amount: 116_000,
        buyer_id: buyerId,
      })
    })

    test('the order writes exactly one order.created outbox event with the SPEC §10 envelope', async () => {
      const productId = await freshProduct(t, tokens.seller, 5, 7_000)

      const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])

      const events = outboxOf(t, order.id)
      expect(events.map((e) => e.event_type)).toEqual(['order.created'])
      const envelope = expectOrderEnvelope(events[0], 'order.created', order.id)
      expect(envelope.payload).toMatchObject({
        orderNumber: order.orderNumber,
        buyerId,
        totalAmount: 14_000,
        items: [{ productId, sellerId: 2, quantity: 2 }],
      })
    })

    test('a later price and name change of the product does not change the order (snapshots)', async () => {
      const productId = await freshProduct(t, tokens.seller, 5, 10_000)
      const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])

      const patch = await t.request('PATCH', `/api/v1/products/${productId}`, {
        token: tokens.seller,
        body: { price: 99_000, name: 'Renamed' },
      })
      const res = await t.request('GET', `/api/v1/orders/${order.id}`, { token: tokens.buyer })

      expect(patch.status, patch.text).toBe(200)
      expect(res.status, res.text).toBe(200)
      expect(res.body.totalAmount).toBe(20_000)
      expect(res.body.orderItems[0]).toMatchObject({
        productName: 'Test product',
        productPrice: 10_000,
        subtotal: 20_000,
      })
    })

    test('lines for the same product are merged into one line and one decrement', async () => {
      const productId = await freshProduct(t, tokens.seller, 10, 1_000)

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId, quantity: 2 },
          { productId, quantity: 3 },
        ]),
      )

      expectOrderResponse(res, 201)
      expect(res.body.orderItems).toHaveLength(1)
      expect(res.body.orderItems[0]).toMatchObject({ productId, quantity: 5, subtotal: 5_000 })
      expect(stockOf(t, productId).stock).toBe(5)
    })

    test('the order of the lines in the request does not change the outcome (lines come back by product id)', async () => {
      const a = await freshProduct(t, tokens.seller, 10, 1_000)
      const b = await freshProduct(t, tokens.otherSeller, 10, 2_000)

      const ascending = await placeOrder(t, tokens.buyer, [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 2 },
      ])
      const descending = await placeOrder(t, tokens.buyer, [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 1 },
      ])

      const linesOf = (order: { orderItems: { productId: number; quantity: number }[] }) =>
        order.orderItems.map((i) => [i.productId, i.quantity])
      expect(linesOf(descending)).toEqual(linesOf(ascending))
      expect(linesOf(ascending)).toEqual([
        [a, 1],
        [b, 2],
      ])
      expect(descending.totalAmount).toBe(ascending.totalAmount)
      expect(stockOf(t, a).stock).toBe(8)
      expect(stockOf(t, b).stock).toBe(6)
    })

    test('taking the last unit sets SOLD_OUT at exactly 0; one unit left stays ON_SALE', async () => {
      const emptied = await freshProduct(t, tokens.seller, 3)
      const almost = await freshProduct(t, tokens.seller, 3)

      await placeOrder(t, tokens.buyer, [
        { productId: emptied, quantity: 3 },
        { productId: almost, quantity: 2 },
      ])

      expect(stockOf(t, emptied)).toMatchObject({ stock: 0, status: 'SOLD_OUT' })
      expect(stockOf(t, almost)).toMatchObject({ stock: 1, status: 'ON_SALE' })
    })

    test('boundaries are accepted: 50 lines, quantity 1000, no addressDetail (stored as null)', async () => {
      const productId = await freshProduct(t, tokens.seller, 2_000)
      const { addressDetail: _omitted, ...withoutDetail } = SHIPPING_ADDRESS
      const fiftyLines = Array.from({ length: 50 }, () => ({ productId, quantity: 1 }))

      const many = await postOrder(t, tokens.buyer, orderBody(fiftyLines, { shippingAddress: withoutDetail }))
      const large = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1000 }]))

      expectOrderResponse(many, 201)
      expectOrderResponse(large, 201)
      expect(many.body.orderItems[0].quantity).toBe(50)
      expect(many.body.shippingAddress.addressDetail).toBeNull()
      expect(stockOf(t, productId).stock).toBe(2_000 - 50 - 1000)
    })

    test('order numbers are distinct 16-character upper-case hex strings', async () => {
      const productId = await freshProduct(t, tokens.seller, 20)

      const numbers: string[] = []
      for (let i = 0; i < 10; i++)
        numbers.push((await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])).orderNumber)

      expect(new Set(numbers).size).toBe(10)
      for (const n of numbers) expect(n).toMatch(/^[0-9A-F]{16}$/)
    })

    test('30 concurrent one-unit orders for a stock of 10: exactly 10 succeed, the rest are 409, never oversold', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const before = snapshotOf(t, [])

      const responses = await Promise.all(
        Array.from({ length: 30 }, () => postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]))),
      )

      const created = responses.filter((r) => r.status === 201)
      expect(created).toHaveLength(10)
      for (const r of responses.filter((r) => r.status !== 201)) expectProblem(r, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(stockOf(t, productId)).toEqual({ stock: 0, status: 'SOLD_OUT', sales: 10 })
      expect(snapshotOf(t, []).orders).toBe(before.orders + 10)
      expect(snapshotOf(t, []).outbox).toBe(before.outbox + 10)
    })
  })
})
