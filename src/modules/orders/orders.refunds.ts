/**
 * Cancelling a part of a paid order owes its refund (SPEC §5): the refund row is written by the cancellation itself,
 * in its transaction (local) or batch (libSQL), so a crash can never separate the two; the refund worker
 * (src/modules/payments/refund-worker.ts) pays it out later, however long the gateway is away. The statement is an
 * INSERT … SELECT from the order's payment: for an unpaid order it inserts nothing, so the cancel path needs no read
 * and no branch. Its gateway key names the part, so a part is refunded once however often this runs.
 */
import { sql } from 'drizzle-orm'
import type { OrderPartRow } from './orders.repository'

export const refundKeyOf = (orderId: number, sellerId: number) => `refund-order-${orderId}-seller-${sellerId}`

/** The refund a cancelled part owes, if its order was paid (one SQL for both drivers). */
export function refundOwedFor(
  orderId: number,
  part: Pick<OrderPartRow, 'sellerId' | 'subtotal'>,
  nowMs: number,
) {
  return sql`insert into refunds (payment_id, order_id, seller_id, amount, gateway_key, status, created_at, updated_at)
    select id, order_id, ${part.sellerId}, ${part.subtotal}, ${refundKeyOf(orderId, part.sellerId)}, 'PENDING',
      ${nowMs}, ${nowMs}
    from payments where order_id = ${orderId} and status = 'CAPTURED'
    on conflict (gateway_key) do nothing`
}
