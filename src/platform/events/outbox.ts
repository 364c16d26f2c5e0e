/**
 * The transactional outbox's write side: an event is a row written by the same transaction as the state change
 * it announces, so it exists if and only if that change committed. The relay (outbox-relay.ts) publishes rows
 * in id order. The envelope is SPEC §10's: { eventId, eventType, aggregateType, aggregateId, occurredAt, version,
 * payload }; consumers deduplicate by eventId.
 */
import { SpanKind } from '@opentelemetry/api'
import { sql } from 'drizzle-orm'
import { outboxEvents } from '../../../db/schema'
import type { Db, DbOrTx } from '../db/database'
import { currentTraceparent, inSpan } from '../observability/tracing'
import { type DomainEvent, EVENT_VERSION, type EventEnvelope } from './contract'

/**
 * Appends `event` in the caller's transaction. Producers pass events typed by their feature's contract. With
 * tracing on, the append is a span and the row keeps its `traceparent`, so the relay's publish and the consumer
 * continue the trace of the request that wrote it.
 */
export function appendOutboxEvent(tx: DbOrTx, event: DomainEvent, now = new Date()): EventEnvelope {
  return inSpan(`outbox append ${event.eventType}`, APPEND_SPAN, () => {
    const envelope = envelopeOf(event, now)
    tx.insert(outboxEvents).values(rowOf(envelope, now)).run()
    return envelope
  })
}

const APPEND_SPAN = { kind: SpanKind.INTERNAL }

/**
 * appendOutboxEvent with its INSERT built and compiled once for `db`'s connection, for hot write paths (order
 * placement); call the returned function inside a write transaction on that connection.
 */
export function outboxAppender(db: Db): (event: DomainEvent, now?: Date) => EventEnvelope {
  const p = sql.placeholder
  const insert = db
    .insert(outboxEvents)
    .values({
      eventId: p('eventId'),
      aggregateType: p('aggregateType'),
      aggregateId: p('aggregateId'),
      eventType: p('eventType'),
      payload: p('payload'),
      createdAt: p('createdAt'),
      traceContext: p('traceContext'),
    })
    .prepare()
  return (event, now = new Date()) =>
    inSpan(`outbox append ${event.eventType}`, APPEND_SPAN, () => {
      const envelope = envelopeOf(event, now)
      insert.run(rowOf(envelope, now))
      return envelope
    })
}

/** The SPEC §10 envelope of `event`, with a fresh event id: what every outbox row stores as its payload. */
export function envelopeOf(event: DomainEvent, now: Date): EventEnvelope {
  return {
    // time-ordered (UUIDv7): the indexes keyed by event id (the outbox's, each consumer's inbox, notifications)
    // then grow at their right edge, so the events of one commit share pages instead of each dirtying a random one
    eventId: Bun.randomUUIDv7(),
    eventType: event.eventType,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    occurredAt: now.toISOString(),
    version: EVENT_VERSION,
    payload: event.payload,
  }
}

/**
 * The outbox row of an envelope: what appendOutboxEvent inserts, and what a remote batch inserts too. The trace
 * context is the active one (the append's span), null when tracing is off.
 */
export function rowOf(envelope: EventEnvelope, now: Date) {
  return {
    eventId: envelope.eventId,
    aggregateType: envelope.aggregateType,
    aggregateId: envelope.aggregateId,
    eventType: envelope.eventType,
    payload: JSON.stringify(envelope),
    createdAt: now,
    traceContext: currentTraceparent(),
  }
}
