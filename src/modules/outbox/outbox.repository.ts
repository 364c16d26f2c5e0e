import { and, asc, count, eq } from 'drizzle-orm'
import { outboxEvents } from '../../../db/schema'
import type { DbOrTx } from '../../platform/db/database'

export type OutboxEventRow = typeof outboxEvents.$inferSelect

/** DEAD rows, oldest first (idx_outbox_pending serves both the page and the count). */
export function listDeadEvents(
  db: DbOrTx,
  offset: number,
  limit: number,
): { rows: OutboxEventRow[]; total: number } {
  const rows = db
    .select()
    .from(outboxEvents)
    .where(eq(outboxEvents.status, 'DEAD'))
    .orderBy(asc(outboxEvents.id))
    .limit(limit)
    .offset(offset)
    .all()
  const total = db.select({ n: count() }).from(outboxEvents).where(eq(outboxEvents.status, 'DEAD')).get()?.n
  return { rows, total: total ?? 0 }
}

/**
 * DEAD → PENDING with its attempts reset, to be relayed on the next poll; last_error is kept until the next
 * attempt overwrites it. Undefined when the row does not exist or is not DEAD.
 */
export function redriveDeadEvent(tx: DbOrTx, id: number): OutboxEventRow | undefined {
  return tx
    .update(outboxEvents)
    .set({ status: 'PENDING', attempts: 0, nextAttemptAt: null, leaseOwner: null, leaseUntil: null })
    .where(and(eq(outboxEvents.id, id), eq(outboxEvents.status, 'DEAD')))
    .returning()
    .get()
}
