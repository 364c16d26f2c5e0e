import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { createdAt, sqlList, timestampMs, updatedAt } from './columns'
import { orders } from './orders'

export const PAYMENT_STATUSES = ['PENDING', 'CAPTURED'] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

/**
 * One payment per order (SPEC §7). PENDING is written, and committed, before the gateway is called: a crash after
 * the gateway charged leaves a trace to look up, never a charge nobody knows of. `gateway_key` is the gateway's
 * idempotency key, derived from the order (`order-<id>`), so every attempt for an order, retried or concurrent or
 * after a restart, is the same charge to the gateway. CAPTURED is written with the order's confirmation, in the
 * same transaction (local) or batch (libSQL).
 */
export const payments = sqliteTable(
  'payments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .unique()
      .references(() => orders.id),
    gatewayKey: text('gateway_key').notNull().unique(),
    amount: integer('amount').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('PENDING'),
    gatewayPaymentId: text('gateway_payment_id'),
    capturedAt: timestampMs('captured_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('payments_status_check', sql`${t.status} in (${sqlList(PAYMENT_STATUSES)})`),
    check('payments_amount_positive', sql`${t.amount} > 0`),
  ],
)

export const REFUND_STATUSES = ['PENDING', 'DONE', 'FAILED'] as const
export type RefundStatus = (typeof REFUND_STATUSES)[number]

/**
 * Refunds owed (SPEC §5, §7): a row is written in the same transaction as the cancellation that owes it (one per
 * cancelled part of a paid order, its subtotal), so it cannot be lost; the refund worker sends it to the gateway
 * under `gateway_key` (one refund per key, so a resend after a crash or by a second instance refunds once) and
 * marks it DONE. FAILED: the gateway refused it for good (e.g. more than what is left), for an operator.
 */
export const refunds = sqliteTable(
  'refunds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    paymentId: integer('payment_id')
      .notNull()
      .references(() => payments.id),
    orderId: integer('order_id').notNull(),
    /** the cancelled part's seller; null for a whole payment returned (a capture that found its order cancelled) */
    sellerId: integer('seller_id'),
    amount: integer('amount').notNull(),
    gatewayKey: text('gateway_key').notNull().unique(),
    status: text('status', { enum: REFUND_STATUSES }).notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: timestampMs('next_attempt_at'),
    gatewayRefundId: text('gateway_refund_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('refunds_status_check', sql`${t.status} in (${sqlList(REFUND_STATUSES)})`),
    check('refunds_amount_positive', sql`${t.amount} > 0`),
    // the worker's poll: the refunds still owed, oldest first
    index('idx_refunds_pending').on(t.id).where(sql`${t.status} = 'PENDING'`),
  ],
)
