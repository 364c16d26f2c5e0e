/**
 * The transactional outbox's write side: an event is a row written by the same transaction as the state change
 * it announces, so it exists if and only if that change committed. A relay (a later issue) publishes rows in
 * id order. The envelope is SPEC §10's: { eventId, eventType, aggregateType, aggregateId, occurredAt, version,
 * payload }; consumers deduplicate by eventId.
 */
import { randomUUID } from 'node:crypto'
import { outboxEvents } from '../../db/schema'
import type { DbOrTx } from './database'

export const EVENT_VERSION = 1

export type OutboxEvent = {
  eventType: string
  aggregateType: string
  aggregateId: string
  payload: Record<string, unknown>
}

export type EventEnvelope = OutboxEvent & { eventId: string; occurredAt: string; version: number }

export function appendOutboxEvent(tx: DbOrTx, event: OutboxEvent, now = new Date()): EventEnvelope {
  const envelope: EventEnvelope = {
    eventId: randomUUID(),
    eventType: event.eventType,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    occurredAt: now.toISOString(),
    version: EVENT_VERSION,
    payload: event.payload,
  }
  tx.insert(outboxEvents)
    .values({
      eventId: envelope.eventId,
      aggregateType: envelope.aggregateType,
      aggregateId: envelope.aggregateId,
      eventType: envelope.eventType,
      payload: JSON.stringify(envelope),
      createdAt: now,
    })
    .run()
  return envelope
}
