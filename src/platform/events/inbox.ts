/**
 * A consumer's memory, written in its own transaction with its effects: the inbox (event ids already processed,
 * because delivery is at-least-once) and its dead letters (events it received but could not use, kept with the
 * reason so that the stream keeps flowing and an operator can look at them later).
 */
import { consumerDeadLetters, inboxEvents } from '../../../db/schema'
import type { DbOrTx } from '../db/database'

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

/** The longest stored value of a dead letter: enough to see what arrived, bounded whatever arrived. */
const MAX_STORED_VALUE = 64 * 1024

export type DeadLetter = {
  consumer: string
  eventId: string | undefined
  topic: string
  key: string | null
  value: string
  reason: string
}

/** Stores a dead letter; false for a redelivered one (same consumer and event id), which is stored once. */
export function recordDeadLetter(tx: DbOrTx, letter: DeadLetter): boolean {
  const inserted = tx
    .insert(consumerDeadLetters)
    .values({
      consumer: letter.consumer,
      eventId: letter.eventId ?? null,
      topic: letter.topic,
      eventKey: letter.key,
      value: letter.value.slice(0, MAX_STORED_VALUE),
      reason: letter.reason,
    })
    .onConflictDoNothing()
    .returning({ id: consumerDeadLetters.id })
    .get()
  return inserted !== undefined
}
