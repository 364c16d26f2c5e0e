/**
 * Cancelling a part of a paid order owes its refund (SPEC §5): the refund row is written by the cancellation itself,
 * in its transaction (local) or batch (libSQL), so a crash can never separate the two; the refund worker
 * (src/modules/payments/refund-worker.ts) pays it out later, however long the gateway is away. The statement is an
 * INSERT … SELECT from the order's payment: for an unpaid order it inserts nothing, so the cancel path needs no read
 * and no branch. Its gateway key names the part, so a part is refunded once however often this runs.
 */
import { sql } from 'drizzle-orm'
import type { OrderPartRow } from './orders.repository'

/** A refund's gateway key: per cancelled part, or `whole` for a payment returned entire (sellerId null). */
export const refundKeyOf = (orderId: number, sellerId: number | null) =>
  `refund-order-${orderId}-${sellerId === null ? 'whole' : `seller-${sellerId}`}`

/**
 * What the order's CAPTURED payment owes back, if it has one (one SQL for both drivers): a cancelled part's subtotal
 * under its seller, or (sellerId null) the whole payment of an order cancelled while it was being paid.
 */
export function refundOwed(
  orderId: number,
  owed: { sellerId: number | null; amount: number },
  nowMs: number,
) {
  return sql`insert into refunds (payment_id, order_id, seller_id, amount, gateway_key, status, created_at, updated_at)
    select id, order_id, ${owed.sellerId}, ${owed.amount}, ${refundKeyOf(orderId, owed.sellerId)}, 'PENDING',
      ${nowMs}, ${nowMs}
    from payments where order_id = ${orderId} and status = 'CAPTURED'
    on conflict (gateway_key) do nothing`
}

/** The refund a cancelled part owes, if its order was paid. */
export const refundOwedFor = (
  orderId: number,
  part: Pick<OrderPartRow, 'sellerId' | 'subtotal'>,
  nowMs: number,
) => refundOwed(orderId, { sellerId: part.sellerId, amount: part.subtotal }, nowMs)
