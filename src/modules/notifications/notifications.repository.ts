import { inboxEvents, type NotificationKind, notifications } from '../../../db/schema'
import type { DbOrTx } from '../../platform/database'

/** Records that `consumer` received `eventId`; false when it already had (a redelivery). */
export function recordReceipt(tx: DbOrTx, consumer: string, eventId: string): boolean {
  const inserted = tx
    .insert(inboxEvents)
    .values({ consumer, eventId })
    .onConflictDoNothing()
    .returning({ eventId: inboxEvents.eventId })
    .get()
  return inserted !== undefined
}

export type NewNotification = { eventId: string; orderId: number; memberId: number; kind: NotificationKind }

/** Stores a sent notification; the unique event id makes a second one for the same event a no-op. */
export function insertNotification(tx: DbOrTx, row: NewNotification): void {
  tx.insert(notifications).values(row).onConflictDoNothing({ target: notifications.eventId }).run()
}
