/**
 * Where the notification consumer records a delivered batch, all of it in one transaction or none: per event the
 * inbox row (consumer, event id) and, only when that row is new, the notification; per unusable event its dead
 * letter. On the local file one synchronous write transaction; on a libSQL server one `batch(…, 'write')`, where
 * "only when new" is the notification's `insert … select … where changes() = 1` right after the inbox INSERT
 * (changes() is what the previous statement wrote: 0 when the inbox already had the id).
 */
import type { Client, InStatement } from '@libsql/client'
import { type NotificationKind, notifications } from '../../../db/schema'
import type { DatabaseHandle, DbOrTx } from '../../platform/db/database'
import type { Awaitable } from '../../platform/db/read-db'
import { type DeadLetter, recordDeadLetter, recordReceipt } from '../../platform/events/inbox'

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

/** Stores a sent notification; the unique event id makes a second one for the same event a no-op. */
export function insertNotification(tx: DbOrTx, row: NewNotification): void {
  tx.insert(notifications).values(row).onConflictDoNothing({ target: notifications.eventId }).run()
}

export function localNotificationStorage(database: DatabaseHandle): NotificationStorage {
  return {
    record(batch) {
      return database.writeTransaction((tx) => ({
        deadLettered: batch.deadLetters.filter((letter) => recordDeadLetter(tx, letter)),
        sent: batch.notifications.filter((notification) => {
          if (!recordReceipt(tx, batch.consumer, notification.eventId)) return false
          insertNotification(tx, notification)
          return true
        }),
      }))
    },
  }
}

export function remoteNotificationStorage(client: Client): NotificationStorage {
  return {
    async record(batch) {
      const now = Date.now()
      const statements: InStatement[] = batch.deadLetters.map((letter) => ({
        sql: `insert into consumer_dead_letters (consumer, event_id, topic, event_key, value, reason, created_at)
              values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning id`,
        args: [
          letter.consumer,
          letter.eventId ?? null,
          letter.topic,
          letter.key,
          letter.value.slice(0, 64 * 1024),
          letter.reason,
          now,
        ],
      }))
      for (const n of batch.notifications) {
        statements.push(
          {
            sql: 'insert into inbox_events (consumer, event_id, received_at) values (?, ?, ?) on conflict do nothing',
            args: [batch.consumer, n.eventId, now],
          },
          {
            sql: `insert into notifications (event_id, order_id, member_id, kind, created_at)
                  select ?, ?, ?, ?, ? where changes() = 1 on conflict (event_id) do nothing returning event_id`,
            args: [n.eventId, n.orderId, n.memberId, n.kind, now],
          },
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
