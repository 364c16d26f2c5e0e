/**
 * The refunds owed (db/schema/payments.ts) on either driver, for the refund worker: the due ones with their
 * payment's gateway id, and each outcome written fenced by the row's PENDING state (two workers finishing the same
 * refund — both sent it under its key, the gateway refunded once — write DONE once).
 */
import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm'
import { payments, refunds } from '../../../db/schema'
import type { DatabaseHandle } from '../../platform/db/database'
import type { RemoteDatabaseHandle } from '../../platform/db/remote-database'

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

export function localRefundStore(database: DatabaseHandle): RefundStore {
  const { db } = database
  return {
    async due(now, limit) {
      const rows = db
        .select(DUE_COLUMNS)
        .from(refunds)
        .innerJoin(payments, eq(payments.id, refunds.paymentId))
        .where(isDue(now))
        .orderBy(asc(refunds.id))
        .limit(limit)
        .all()
      return rows.filter((row): row is DueRefund => row.gatewayPaymentId !== null)
    },
    async done(id, gatewayRefundId) {
      database.writeTransaction((tx) =>
        tx.update(refunds).set(outcomes.done(gatewayRefundId)).where(pendingOne(id)).run(),
      )
    },
    async failed(id, reason) {
      database.writeTransaction((tx) =>
        tx.update(refunds).set(outcomes.failed(reason)).where(pendingOne(id)).run(),
      )
    },
    async retryLater(id, reason, at) {
      database.writeTransaction((tx) =>
        tx.update(refunds).set(outcomes.later(reason, at)).where(pendingOne(id)).run(),
      )
    },
  }
}

export function remoteRefundStore(remote: RemoteDatabaseHandle): RefundStore {
  const { db } = remote
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
    async done(id, gatewayRefundId) {
      await db.update(refunds).set(outcomes.done(gatewayRefundId)).where(pendingOne(id))
    },
    async failed(id, reason) {
      await db.update(refunds).set(outcomes.failed(reason)).where(pendingOne(id))
    },
    async retryLater(id, reason, at) {
      await db.update(refunds).set(outcomes.later(reason, at)).where(pendingOne(id))
    },
  }
}
