import { sql } from 'drizzle-orm'
import { check, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { createdAt, sqlList } from './columns'

export const NOTIFICATION_KINDS = ['ORDER_PLACED', 'ORDER_STATUS_CHANGED'] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

/**
 * The notifications the notification consumer "sent" (the study guide's exercise 6: an email, written as a log
 * line): one per event, so a redelivered event can never send twice. `member_id` has no foreign key on purpose:
 * it comes from an event's payload, and a consumer must not wedge on a row it cannot store.
 */
export const notifications = sqliteTable(
  'notifications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: text('event_id').notNull().unique(),
    orderId: integer('order_id').notNull(),
    memberId: integer('member_id').notNull(),
    kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [check('notifications_kind_check', sql`${t.kind} in (${sqlList(NOTIFICATION_KINDS)})`)],
)
