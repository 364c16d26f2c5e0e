/**
 * The refunds owed (db/schema/payments.ts) on either driver, for the refund worker: the due ones with their
 * payment's gateway id, and each outcome written fenced by the row's PENDING state (two workers finishing the same
 * refund — both sent it under its key, the gateway refunded once — write DONE once).
 */
import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm'
import { payments, refunds } from '../../../db/schema'
import type { QueryDb } from '../../platform/db/read-db'

export type DueRefund = {
  id: number
  gatewayKey: string
  amount: number
  attempts: number
  gatewayPaymentId: string
}

export interface RefundStore {
  due(now: number, limit: number): Promise<DueRefund[]>
  done(id: number, gatewayRefundId: string): Promise<void>
  failed(id: number, reason: string): Promise<void>
  retryLater(id: number, reason: string, at: number): Promise<void>
}

const DUE_COLUMNS = {
  id: refunds.id,
  gatewayKey: refunds.gatewayKey,
  amount: refunds.amount,
  attempts: refunds.attempts,
  gatewayPaymentId: payments.gatewayPaymentId,
}
const isDue = (now: number) =>
  and(
    eq(refunds.status, 'PENDING'),
    or(isNull(refunds.nextAttemptAt), lte(refunds.nextAttemptAt, new Date(now))),
  )
const pendingOne = (id: number) => and(eq(refunds.id, id), eq(refunds.status, 'PENDING'))
const outcomes = {
  done: (gatewayRefundId: string) => ({ status: 'DONE' as const, gatewayRefundId, updatedAt: new Date() }),
  failed: (reason: string) => ({
    status: 'FAILED' as const,
    lastError: reason.slice(0, 1_000),
    updatedAt: new Date(),
  }),
  later: (reason: string, at: number) => ({
    attempts: sql`${refunds.attempts} + 1`,
    lastError: reason.slice(0, 1_000),
    nextAttemptAt: new Date(at),
    updatedAt: new Date(),
  }),
}

/**
 * One store for both drivers: each call is one statement, awaited (a single UPDATE is atomic on its own, so the
 * local file needs no transaction around it).
 */
export function refundStore(db: QueryDb): RefundStore {
  const update = async (id: number, values: ReturnType<(typeof outcomes)[keyof typeof outcomes]>) => {
    await db.update(refunds).set(values).where(pendingOne(id))
  }
  return {
    async due(now, limit) {
      const rows = await db
        .select(DUE_COLUMNS)
        .from(refunds)
        .innerJoin(payments, eq(payments.id, refunds.paymentId))
        .where(isDue(now))
        .orderBy(asc(refunds.id))
        .limit(limit)
      return rows.filter((row): row is DueRefund => row.gatewayPaymentId !== null)
    },
    done: (id, gatewayRefundId) => update(id, outcomes.done(gatewayRefundId)),
    failed: (id, reason) => update(id, outcomes.failed(reason)),
    retryLater: (id, reason, at) => update(id, outcomes.later(reason, at)),
  }
}
