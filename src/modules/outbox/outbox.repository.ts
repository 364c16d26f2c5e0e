import { and, asc, count, eq } from 'drizzle-orm'
import { outboxEvents } from '../../../db/schema'
import type { QueryDb } from '../../platform/db/read-db'

export type OutboxEventRow = typeof outboxEvents.$inferSelect

/** DEAD rows, oldest first (idx_outbox_pending serves both the page and the count). */
export async function listDeadEvents(
  db: QueryDb,
  offset: number,
  limit: number,
): Promise<{ rows: OutboxEventRow[]; total: number }> {
  const isDead = eq(outboxEvents.status, 'DEAD')
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(outboxEvents)
      .where(isDead)
      .orderBy(asc(outboxEvents.id))
      .limit(limit)
      .offset(offset)
      .all(),
    db.select({ n: count() }).from(outboxEvents).where(isDead).get(),
  ])
  return { rows, total: total?.n ?? 0 }
}

/**
 * DEAD → PENDING with its attempts reset, to be relayed on the next poll; last_error is kept until the next
 * attempt overwrites it. Undefined when the row does not exist or is not DEAD.
 */
/** One statement: atomic on either driver. */
export async function redriveDeadEvent(db: QueryDb, id: number): Promise<OutboxEventRow | undefined> {
  return db
    .update(outboxEvents)
    .set({ status: 'PENDING', attempts: 0, nextAttemptAt: null, leaseOwner: null, leaseUntil: null })
    .where(and(eq(outboxEvents.id, id), eq(outboxEvents.status, 'DEAD')))
    .returning()
    .get()
}
