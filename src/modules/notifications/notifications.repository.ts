import { type NotificationKind, notifications } from '../../../db/schema'
import type { DbOrTx } from '../../platform/db/database'

export type NewNotification = { eventId: string; orderId: number; memberId: number; kind: NotificationKind }

/** Stores a sent notification; the unique event id makes a second one for the same event a no-op. */
export function insertNotification(tx: DbOrTx, row: NewNotification): void {
  tx.insert(notifications).values(row).onConflictDoNothing({ target: notifications.eventId }).run()
}
