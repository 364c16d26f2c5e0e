/**
 * The payment's rows on either driver (SPEC §6, §7): the intent written (and committed) before the gateway is
 * called, the Idempotency-Key claimed in a write of its own (a payment spans a network call, so the key cannot
 * ride in one transaction with its effect as an order's does: it is IN_PROGRESS meanwhile, and a second request
 * with it is a 409), released when the payment fails, and the companion write that records the capture (and the
 * key's response) in the same transaction or batch as the order's confirmation.
 */
import { and, eq, lte, sql } from 'drizzle-orm'
import { idempotencyKeys, payments } from '../../../db/schema'
import type { DatabaseHandle, DbOrTx } from '../../platform/db/database'
import {
  type Claim,
  IDEMPOTENCY_TTL_MS,
  type StoredResponse,
  storedAnswerOf,
} from '../../platform/db/idempotency'
import type { RemoteDatabaseHandle, RemoteDb } from '../../platform/db/remote-database'
import type { Order } from '../orders/orders.model'
import type { CompanionWrite } from '../orders/orders.moves'
import { refundOwed } from '../orders/orders.refunds'

export type PaymentRow = typeof payments.$inferSelect

/** The gateway's idempotency key of an order's payment: every attempt for the order is the same charge. */
export const gatewayKeyOf = (orderId: number) => `order-${orderId}`

export interface PaymentStore {
  /** The order's payment, its PENDING intent written first if there is none. */
  recordIntent(orderId: number, amount: number): Promise<PaymentRow>
  find(orderId: number): Promise<PaymentRow | undefined>
  /** Claims the key (IN_PROGRESS), or answers for it: the stored response, 409 while it runs, 422 for another body. */
  claimKey(claim: Claim): Promise<StoredResponse | undefined>
  /** Gives a claimed key back after a failure, so the client may retry with it. */
  releaseKey(claim: Claim): Promise<void>
  /** A capture that found its order cancelled: recorded, and the whole of it owed back, in one write. */
  recordCaptureOfCancelled(orderId: number, gatewayPaymentId: string, amount: number): Promise<void>
}

const keyOf = (claim: Claim) =>
  and(eq(idempotencyKeys.memberId, claim.memberId), eq(idempotencyKeys.key, claim.key))

const inProgressRow = (claim: Claim, now: number) => ({
  memberId: claim.memberId,
  key: claim.key,
  fingerprint: claim.fingerprint,
  state: 'IN_PROGRESS' as const,
  createdAt: new Date(now),
  expiresAt: new Date(now + IDEMPOTENCY_TTL_MS),
})

const intentRow = (orderId: number, amount: number) => ({
  orderId,
  amount,
  gatewayKey: gatewayKeyOf(orderId),
})

export function localPaymentStore(database: DatabaseHandle): PaymentStore {
  const find = (db: DbOrTx, orderId: number) =>
    db.select().from(payments).where(eq(payments.orderId, orderId)).get()
  return {
    async recordIntent(orderId, amount) {
      return database.writeTransaction((tx) => {
        tx.insert(payments).values(intentRow(orderId, amount)).onConflictDoNothing().run()
        return find(tx, orderId)!
      })
    },
    async find(orderId) {
      return find(database.db, orderId)
    },
    async claimKey(claim) {
      const now = Date.now()
      return database.writeTransaction((tx) => {
        const existing = tx.select().from(idempotencyKeys).where(keyOf(claim)).get()
        const answer = storedAnswerOf(existing, claim, now)
        if (answer) return answer
        if (existing) tx.delete(idempotencyKeys).where(keyOf(claim)).run()
        tx.insert(idempotencyKeys).values(inProgressRow(claim, now)).run()
        return undefined
      })
    },
    async recordCaptureOfCancelled(orderId, gatewayPaymentId, amount) {
      database.writeTransaction((tx) => {
        for (const statement of captureOfCancelledOrder(orderId, gatewayPaymentId, amount)) tx.run(statement)
      })
    },
    async releaseKey(claim) {
      database.writeTransaction((tx) =>
        tx
          .delete(idempotencyKeys)
          .where(and(keyOf(claim), eq(idempotencyKeys.state, 'IN_PROGRESS')))
          .run(),
      )
    },
  }
}

export function remotePaymentStore(remote: RemoteDatabaseHandle): PaymentStore {
  const find = async (orderId: number) =>
    (await remote.db.select().from(payments).where(eq(payments.orderId, orderId)))[0]
  return {
    async recordIntent(orderId, amount) {
      await remote.db.insert(payments).values(intentRow(orderId, amount)).onConflictDoNothing()
      return (await find(orderId))!
    },
    find,
    async claimKey(claim) {
      const now = Date.now()
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await remote.db.batch([
            remote.db
              .delete(idempotencyKeys)
              .where(and(keyOf(claim), lte(idempotencyKeys.expiresAt, new Date(now)))),
            remote.db.insert(idempotencyKeys).values(inProgressRow(claim, now)),
          ])
          return undefined
        } catch {
          // taken: what the key says now (a replay, 409, 422), or, if it expired meanwhile, claim again
          const [existing] = await remote.db.select().from(idempotencyKeys).where(keyOf(claim))
          const answer = storedAnswerOf(existing, claim, now)
          if (answer) return answer
        }
      }
      throw new Error('the Idempotency-Key could not be claimed')
    },
    async recordCaptureOfCancelled(orderId, gatewayPaymentId, amount) {
      const statements = captureOfCancelledOrder(orderId, gatewayPaymentId, amount)
      await remote.db.batch(statements.map((statement) => remote.db.run(statement)) as never)
    },
    async releaseKey(claim) {
      await remote.db
        .delete(idempotencyKeys)
        .where(and(keyOf(claim), eq(idempotencyKeys.state, 'IN_PROGRESS')))
    },
  }
}

/**
 * Written with the order's confirmation: the payment CAPTURED with the gateway's id and, with a key, the key
 * COMPLETED with the answer (the confirmed order), so a replay answers exactly what the first request did.
 */
export function captureRecorded(orderId: number, gatewayPaymentId: string, claim?: Claim): CompanionWrite {
  const captured = (now: Date) => ({
    status: 'CAPTURED' as const,
    gatewayPaymentId,
    capturedAt: now,
    updatedAt: now,
  })
  const pending = and(eq(payments.orderId, orderId), eq(payments.status, 'PENDING'))
  const completed = (view: Order) => ({
    state: 'COMPLETED' as const,
    responseStatus: 200,
    responseBody: JSON.stringify(view),
  })
  return {
    local(tx, view) {
      tx.update(payments).set(captured(new Date())).where(pending).run()
      if (claim) tx.update(idempotencyKeys).set(completed(view)).where(keyOf(claim)).run()
    },
    remote(db: RemoteDb, view) {
      const statements: unknown[] = [db.update(payments).set(captured(new Date())).where(pending)]
      if (claim) statements.push(db.update(idempotencyKeys).set(completed(view)).where(keyOf(claim)))
      return statements
    },
  }
}

/** A capture that found its order cancelled: recorded, and the whole payment owed back (the refund worker pays it). */
function captureOfCancelledOrder(orderId: number, gatewayPaymentId: string, amount: number) {
  const nowMs = Date.now()
  return [
    sql`update payments set status = 'CAPTURED', gateway_payment_id = ${gatewayPaymentId},
      captured_at = ${nowMs}, updated_at = ${nowMs} where order_id = ${orderId} and status = 'PENDING'`,
    // the payment is CAPTURED by the statement above, in the same transaction or batch
    refundOwed(orderId, { sellerId: null, amount }, nowMs),
  ]
}
