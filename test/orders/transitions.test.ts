/**
 * SPEC §5's transition table, exhaustively: every from × to through PATCH /api/v1/sellers/orders/{id}/status,
 * for the seller of a one-seller order (its part is the whole order) and for an admin. Nobody confirms there (only
 * the buyer's payment does, test/resilience/payments.test.ts); a seller, or an admin for it, ships, delivers or
 * cancels.
 * An allowed move is a 200 that stores the new status and writes exactly one order.status-changed event (a
 * CANCELLED one gives the stock back); any other is a 409 INVALID_ORDER_STATUS_TRANSITION that changes nothing:
 * not the order row (its updatedAt included), not the stock, not the outbox.
 */
import { describe, expect, test } from 'bun:test'
import { expectProblem, useTestApp } from '../support/harness'
import {
  changeStatus,
  expectOrderEnvelope,
  ORDER_STATUSES,
  orderIn,
  orderStateOf,
  outboxOf,
  stockOf,
  storedOrder,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })

/** SPEC §5, written out independently of the service's tables. */
const SELLER_MOVES = ['PENDING→CANCELLED', 'CONFIRMED→SHIPPED', 'CONFIRMED→CANCELLED', 'SHIPPED→DELIVERED']
const ALLOWED = {
  seller: new Set(SELLER_MOVES),
  admin: new Set(SELLER_MOVES),
}

describe('PATCH /api/v1/sellers/orders/{id}/status', () => {
  for (const mover of ['seller', 'admin'] as const) {
    describe(`the transition table for the ${mover}, every from × to`, () => {
      for (const from of ORDER_STATUSES) {
        for (const to of ORDER_STATUSES) {
          const isAllowed = ALLOWED[mover].has(`${from}→${to}`)
          test(`${from} → ${to} is ${isAllowed ? '200' : '409 INVALID_ORDER_STATUS_TRANSITION and changes nothing'}`, async () => {
            const { orderId, productId } = await orderIn(t, tokens, from)
            const before = orderStateOf(t, orderId, productId)
            const eventsBefore = outboxOf(t, orderId).length

            const res = await changeStatus(t, tokens[mover], orderId, to)

            if (!isAllowed) {
              expectProblem(res, 409, 'INVALID_ORDER_STATUS_TRANSITION')
              expect(orderStateOf(t, orderId, productId)).toEqual(before)
              return
            }
            expect(res.status, res.text).toBe(200)
            expect(res.body).toMatchObject({ id: orderId, status: to })
            expect(storedOrder(t, orderId)?.status).toBe(to)
            const events = outboxOf(t, orderId)
            expect(events).toHaveLength(eventsBefore + 1)
            expect(expectOrderEnvelope(events.at(-1), 'order.status-changed', orderId).payload).toMatchObject(
              {
                from,
                to,
              },
            )
            expect(stockOf(t, productId).stock).toBe(to === 'CANCELLED' ? 5 : 3)
          })
        }
      }
    })
  }
})
