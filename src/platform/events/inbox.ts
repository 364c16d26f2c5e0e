/**
 * A consumer's memory, written in its own transaction with its effects: the inbox (event ids already processed,
 * because delivery is at-least-once) and its dead letters (events it received but could not use, kept with the
 * reason so that the stream keeps flowing and an operator can look at them later). The statements are plain SQL
 * with positional arguments, so a consumer's storage runs the same ones on the local file (prepared once) and in a
 * libSQL server batch (src/modules/notifications/notifications.repository.ts).
 */

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

/** Records that a consumer received an event; writes nothing for a redelivery (then `changes()` is 0). */
export const RECORD_RECEIPT_SQL =
  'insert into inbox_events (consumer, event_id, received_at) values (?, ?, ?) on conflict do nothing'

export const receiptArgs = (consumer: string, eventId: string, now: number) => [consumer, eventId, now]

/** Stores a dead letter; returns its id, or no row for a redelivered one (same consumer and event id). */
export const RECORD_DEAD_LETTER_SQL = `
  insert into consumer_dead_letters (consumer, event_id, topic, event_key, value, reason, created_at)
  values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing returning id`

export const deadLetterArgs = (letter: DeadLetter, now: number) => [
  letter.consumer,
  letter.eventId ?? null,
  letter.topic,
  letter.key,
  letter.value.slice(0, MAX_STORED_VALUE),
  letter.reason,
  now,
]
