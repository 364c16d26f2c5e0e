/**
 * Where the notification consumer records a delivered batch, all of it in one transaction or none: per event the
 * inbox row (consumer, event id) and, only when that row is new, the notification; per unusable event its dead
 * letter. The same statements on both drivers: on the local file inside one commit group's savepoint, on a libSQL
 * server as one `batch(…, 'write')`; "only when new" is the notification's `insert … select … where changes() = 1`
 * right after the inbox INSERT (changes() is what the previous statement wrote: 0 when the inbox had the id).
 */
import type { SQLQueryBindings } from 'bun:sqlite'
import type { Client, InStatement } from '@libsql/client'
import type { NotificationKind } from '../../../db/schema'
import type { DatabaseHandle } from '../../platform/db/database'
import type { Awaitable } from '../../platform/db/read-db'
import {
  type DeadLetter,
  deadLetterArgs,
  RECORD_DEAD_LETTER_SQL,
  RECORD_RECEIPT_SQL,
  receiptArgs,
} from '../../platform/events/inbox'

export type NewNotification = { eventId: string; orderId: number; memberId: number; kind: NotificationKind }

/** What a batch asks to record: the notifications of its usable events, the dead letters of the others. */
export type DeliveryRecord<N extends NewNotification, L extends DeadLetter> = {
  consumer: string
  notifications: N[]
  deadLetters: L[]
}

/** What was new: the notifications to send now, the dead letters to report (redeliveries are neither). */
export type Recorded<N, L> = { sent: N[]; deadLettered: L[] }

export interface NotificationStorage {
  record<N extends NewNotification, L extends DeadLetter>(
    batch: DeliveryRecord<N, L>,
  ): Awaitable<Recorded<N, L>>
}

/**
 * Stores the notification of the event whose receipt was just recorded, only if that receipt was new
 * (`changes()` is what the previous statement wrote); returns its event id, or no row.
 */
const INSERT_NOTIFICATION_SQL = `
  insert into notifications (event_id, order_id, member_id, kind, created_at)
  select ?, ?, ?, ?, ? where changes() = 1 on conflict (event_id) do nothing returning event_id`

const notificationArgs = (n: NewNotification, now: number) => [n.eventId, n.orderId, n.memberId, n.kind, now]

/**
 * On the local file: the statements prepared once, run in the next commit group (src/platform/db/group-commit.ts),
 * so a batch's receipts share a COMMIT with the orders of the same turn instead of a transaction of their own.
 */
export function localNotificationStorage(database: DatabaseHandle): NotificationStorage {
  const statements = {
    deadLetter: database.sqlite.query<unknown, SQLQueryBindings[]>(RECORD_DEAD_LETTER_SQL),
    receipt: database.sqlite.query<unknown, SQLQueryBindings[]>(RECORD_RECEIPT_SQL),
    notification: database.sqlite.query<unknown, SQLQueryBindings[]>(INSERT_NOTIFICATION_SQL),
  }
  return {
    record(batch) {
      return database.writeInGroup(() => {
        const now = Date.now()
        return {
          deadLettered: batch.deadLetters.filter(
            (letter) => statements.deadLetter.get(...deadLetterArgs(letter, now)) !== null,
          ),
          sent: batch.notifications.filter((n) => {
            statements.receipt.run(...receiptArgs(batch.consumer, n.eventId, now))
            return statements.notification.get(...notificationArgs(n, now)) !== null
          }),
        }
      })
    },
  }
}

export function remoteNotificationStorage(client: Client): NotificationStorage {
  return {
    async record(batch) {
      const now = Date.now()
      const statements: InStatement[] = batch.deadLetters.map((letter) => ({
        sql: RECORD_DEAD_LETTER_SQL,
        args: deadLetterArgs(letter, now),
      }))
      for (const n of batch.notifications) {
        statements.push(
          { sql: RECORD_RECEIPT_SQL, args: receiptArgs(batch.consumer, n.eventId, now) },
          { sql: INSERT_NOTIFICATION_SQL, args: notificationArgs(n, now) },
        )
      }
      const results = await client.batch(statements, 'write')
      const letters = batch.deadLetters.length
      return {
        deadLettered: batch.deadLetters.filter((_, i) => results[i]!.rows.length > 0),
        sent: batch.notifications.filter((_, i) => results[letters + 2 * i + 1]!.rows.length > 0),
      }
    },
  }
}
