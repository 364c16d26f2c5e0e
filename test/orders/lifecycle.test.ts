/**
 * The order lifecycle (SPEC §5): PENDING → CONFIRMED → SHIPPED → DELIVERED; PENDING or CONFIRMED → CANCELLED
 * (stock restored, SOLD_OUT back to ON_SALE). POST /api/v1/orders/{id}/cancel for the buyer, PATCH
 * /api/v1/sellers/orders/{id}/status for a seller of one of its lines or an admin (who alone confirms, until
 * payments do). Orders of one seller here; several sellers' parts: test/orders/parts.test.ts. Every change writes one
 * order.status-changed outbox event; every refused change leaves the order, the stock and the outbox as they were.
 * The transition table, every from × to: test/orders/transitions.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { expectUnauthenticated } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'
import {
  cancelOrder,
  changeStatus,
  counterValue,
  expectOrderEnvelope,
  freshProduct,
  orderIn,
  orderStateOf,
  outboxOf,
  placeOrder,
  stockOf,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })

describe('PATCH /api/v1/sellers/orders/{id}/status', () => {
  describe('happy', () => {
    test('a full journey writes order.created then one order.status-changed per move, each its own event', async () => {
      const { orderId } = await orderIn(t, tokens, 'DELIVERED')

      const events = outboxOf(t, orderId)

      expect(events.map((e) => e.event_type)).toEqual([
        'order.created',
        'order.status-changed',
        'order.status-changed',
        'order.status-changed',
      ])
      const moves = events
        .slice(1)
        .map((e) => expectOrderEnvelope(e, 'order.status-changed', orderId).payload)
      expect(moves.map((p) => `${p.from}→${p.to}`)).toEqual([
        'PENDING→CONFIRMED',
        'CONFIRMED→SHIPPED',
        'SHIPPED→DELIVERED',
      ])
      expect(new Set(events.map((e) => e.event_id)).size).toBe(4)
    })

    test('a seller cancelling a CONFIRMED order gives the stock back and counts a cancellation', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'CONFIRMED')
      const cancelled = await counterValue(t, 'marketplace_orders_cancelled_total')

      const res = await changeStatus(t, tokens.seller, orderId, 'CANCELLED')

      expect(res.status, res.text).toBe(200)
      expect(stockOf(t, productId)).toMatchObject({ stock: 5, status: 'ON_SALE' })
      expect(await counterValue(t, 'marketplace_orders_cancelled_total')).toBe(cancelled + 1)
    })

    test('an admin acts as any seller: ships and delivers a paid order, or cancels with the stock restored', async () => {
      const delivered = await orderIn(t, tokens, 'CONFIRMED')
      const cancelled = await orderIn(t, tokens, 'PENDING')

      for (const status of ['SHIPPED', 'DELIVERED']) {
        const res = await changeStatus(t, tokens.admin, delivered.orderId, status)
        expect(res.status, res.text).toBe(200)
        expect(res.body.status).toBe(status)
      }
      const cancel = await changeStatus(t, tokens.admin, cancelled.orderId, 'CANCELLED')

      expect(cancel.status, cancel.text).toBe(200)
      expect(stockOf(t, cancelled.productId).stock).toBe(5)
      expect(outboxOf(t, delivered.orderId)).toHaveLength(4)
    })
  })

  describe('error', () => {
    test('an unknown status, a missing status and an unknown order are 400, 400 and 404; nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      const unknownStatus = await changeStatus(t, tokens.seller, orderId, 'LOST')
      const missing = await t.request('PATCH', `/api/v1/sellers/orders/${orderId}/status`, {
        token: tokens.seller,
        body: {},
      })
      const unknownOrder = await changeStatus(t, tokens.seller, 999_999, 'CONFIRMED')
      const badId = await changeStatus(t, tokens.seller, 'abc' as never, 'CONFIRMED')

      expectProblem(unknownStatus, 400, 'VALIDATION_FAILED')
      expectProblem(missing, 400, 'VALIDATION_FAILED')
      expectProblem(unknownOrder, 404, 'ORDER_NOT_FOUND')
      expectProblem(badId, 400, 'VALIDATION_FAILED')
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })
  })

  describe('security', () => {
    test('a seller with no line in the order gets 404 ORDER_NOT_FOUND and nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      const res = await changeStatus(t, tokens.otherSeller, orderId, 'CANCELLED')

      expectProblem(res, 404, 'ORDER_NOT_FOUND')
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })

    test('the buyer gets 403 ACCESS_DENIED (buyers cancel through /cancel), anonymous 401; nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      const buyer = await changeStatus(t, tokens.buyer, orderId, 'CONFIRMED')
      const anonymous = await t.request('PATCH', `/api/v1/sellers/orders/${orderId}/status`, {
        body: { status: 'CONFIRMED' },
      })

      expectProblem(buyer, 403, 'ACCESS_DENIED')
      expectUnauthenticated(anonymous)
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })
  })
})

describe('POST /api/v1/orders/{id}/cancel', () => {
  describe('happy', () => {
    for (const from of ['PENDING', 'CONFIRMED'] as const) {
      test(`the buyer cancels a ${from} order: 200 CANCELLED, stock back, one status-changed event`, async () => {
        const { orderId, productId } = await orderIn(t, tokens, from)
        const eventsBefore = outboxOf(t, orderId).length

        const res = await cancelOrder(t, tokens.buyer, orderId)

        expect(res.status, res.text).toBe(200)
        expect(res.body).toMatchObject({ id: orderId, status: 'CANCELLED' })
        expect(stockOf(t, productId)).toEqual({ stock: 5, status: 'ON_SALE', sales: 0 })
        const events = outboxOf(t, orderId)
        expect(events).toHaveLength(eventsBefore + 1)
        expect(expectOrderEnvelope(events.at(-1), 'order.status-changed', orderId).payload).toMatchObject({
          from,
          to: 'CANCELLED',
        })
      })
    }

    test('cancelling the order that emptied a product puts it from SOLD_OUT back ON_SALE', async () => {
      const productId = await freshProduct(t, tokens.seller, 2)
      const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])
      expect(stockOf(t, productId)).toMatchObject({ stock: 0, status: 'SOLD_OUT' })

      const res = await cancelOrder(t, tokens.buyer, order.id)

      expect(res.status, res.text).toBe(200)
      expect(stockOf(t, productId)).toMatchObject({ stock: 2, status: 'ON_SALE' })
    })

    test('cancelling after the seller deleted the product gives the stock back but keeps it DELETED', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const del = await t.request('DELETE', `/api/v1/products/${productId}`, { token: tokens.seller })
      expect(del.status, del.text).toBe(204)

      const res = await cancelOrder(t, tokens.buyer, orderId)

      expect(res.status, res.text).toBe(200)
      expect(stockOf(t, productId)).toMatchObject({ stock: 5, status: 'DELETED' })
    })

    test('two concurrent cancels: one 200, one 409; the stock comes back exactly once, one event, one count', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const cancelled = await counterValue(t, 'marketplace_orders_cancelled_total')

      const responses = await Promise.all([
        cancelOrder(t, tokens.buyer, orderId),
        cancelOrder(t, tokens.buyer, orderId),
      ])

      expect(responses.map((r) => r.status).sort()).toEqual([200, 409])
      expectProblem(responses.find((r) => r.status === 409)!, 409, 'INVALID_ORDER_STATUS_TRANSITION')
      expect(stockOf(t, productId).stock).toBe(5)
      expect(outboxOf(t, orderId).map((e) => e.event_type)).toEqual(['order.created', 'order.status-changed'])
      expect(await counterValue(t, 'marketplace_orders_cancelled_total')).toBe(cancelled + 1)
    })

    test('the buyer and the seller cancelling at once: one wins, the stock comes back exactly once', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'CONFIRMED')

      const responses = await Promise.all([
        cancelOrder(t, tokens.buyer, orderId),
        changeStatus(t, tokens.seller, orderId, 'CANCELLED'),
      ])

      expect(responses.map((r) => r.status).sort()).toEqual([200, 409])
      expect(stockOf(t, productId).stock).toBe(5)
      expect(outboxOf(t, orderId).map((e) => e.event_type)).toEqual([
        'order.created',
        'order.status-changed', // PENDING → CONFIRMED
        'order.status-changed', // CONFIRMED → CANCELLED, once
      ])
    })
  })

  describe('error', () => {
    for (const from of ['SHIPPED', 'DELIVERED', 'CANCELLED'] as const) {
      test(`cancelling a ${from} order is a 409 INVALID_ORDER_STATUS_TRANSITION and changes nothing`, async () => {
        const { orderId, productId } = await orderIn(t, tokens, from)
        const before = orderStateOf(t, orderId, productId)
        const cancelled = await counterValue(t, 'marketplace_orders_cancelled_total')

        const res = await cancelOrder(t, tokens.buyer, orderId)

        expectProblem(res, 409, 'INVALID_ORDER_STATUS_TRANSITION')
        expect(orderStateOf(t, orderId, productId)).toEqual(before)
        expect(await counterValue(t, 'marketplace_orders_cancelled_total')).toBe(cancelled)
      })
    }

    test('an unknown order is a 404 ORDER_NOT_FOUND; a non-integer id a 400; nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      const unknown = await cancelOrder(t, tokens.buyer, 999_999)
      const badId = await cancelOrder(t, tokens.buyer, 'x1' as never)

      expectProblem(unknown, 404, 'ORDER_NOT_FOUND')
      expectProblem(badId, 400, 'VALIDATION_FAILED')
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })
  })

  describe('security', () => {
    test('another buyer cancelling my order gets 404 ORDER_NOT_FOUND and nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      const res = await cancelOrder(t, tokens.otherBuyer, orderId)

      expectProblem(res, 404, 'ORDER_NOT_FOUND')
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })

    test('a seller and an admin get 403 (they use the status endpoint), anonymous 401; nothing changes', async () => {
      const { orderId, productId } = await orderIn(t, tokens, 'PENDING')
      const before = orderStateOf(t, orderId, productId)

      expectProblem(await cancelOrder(t, tokens.seller, orderId), 403, 'ACCESS_DENIED')
      expectProblem(await cancelOrder(t, tokens.admin, orderId), 403, 'ACCESS_DENIED')
      expectUnauthenticated(await t.request('POST', `/api/v1/orders/${orderId}/cancel`))
      expect(orderStateOf(t, orderId, productId)).toEqual(before)
    })
  })
})
