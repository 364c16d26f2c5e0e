import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { createdAt, sqlList, timestampMs } from './columns'
import { members } from './members'

export const OUTBOX_STATUSES = ['PENDING', 'PUBLISHED', 'DEAD'] as const

/**
 * Transactional outbox: written in the same transaction as the state change it announces; a relay leases
 * pending rows (lease_owner/lease_until, SQLite has no SKIP LOCKED) and marks them PUBLISHED only after the
 * broker acknowledged them.
 */
export const outboxEvents = sqliteTable(
  'outbox_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: text('event_id').notNull().unique(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    eventType: text('event_type').notNull(),
    payload: text('payload').notNull(),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestampMs('next_attempt_at'),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestampMs('lease_until'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    publishedAt: timestampMs('published_at'),
    /** the W3C `traceparent` of the write that appended it, when tracing was on: the relay continues that trace */
    traceContext: text('trace_context'),
  },
  (t) => [
    check('outbox_status_check', sql`${t.status} in (${sqlList(OUTBOX_STATUSES)})`),
    index('idx_outbox_pending').on(t.status, t.id),
    // The rows that can hold back a later event of their aggregate: pending and leased or waiting to retry. A new
    // row has neither, so placing an order never writes this index; the relay's claim probes it per candidate.
    index('idx_outbox_held')
      .on(t.aggregateType, t.aggregateId, t.id)
      .where(
        sql`${t.status} = 'PENDING' and (${t.leaseUntil} is not null or ${t.nextAttemptAt} is not null)`,
      ),
  ],
)

/**
 * What each consumer has already processed, by event id: delivery is at-least-once (a relay killed mid-batch
 * sends again, Kafka redelivers after a rebalance), so a consumer records the id in the same transaction as its
 * effect and skips ids it has seen.
 */
export const inboxEvents = sqliteTable(
  'inbox_events',
  {
    consumer: text('consumer').notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: createdAt('received_at'),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
)

/**
 * Events a consumer could not use: not a SPEC §10 envelope, an unknown event type, or a payload that does not
 * match its event's schema. Stored (with the reason) in the consumer's own transaction, so the batch is
 * acknowledged and the rest of the stream flows; an operator reads them here. One row per (consumer, event id).
 */
export const consumerDeadLetters = sqliteTable(
  'consumer_dead_letters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    consumer: text('consumer').notNull(),
    /** null when the value was not even an envelope */
    eventId: text('event_id'),
    topic: text('topic').notNull(),
    eventKey: text('event_key'),
    value: text('value').notNull(),
    reason: text('reason').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('idx_consumer_dead_letters_event').on(t.consumer, t.eventId)],
)

export const IDEMPOTENCY_STATES = ['IN_PROGRESS', 'COMPLETED'] as const

/** Idempotency keys (SPEC §6): scoped per member, kept 24 h, replayed by request fingerprint. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: IDEMPOTENCY_STATES }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: createdAt(),
    expiresAt: timestampMs('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.key] }),
    check('idempotency_state_check', sql`${t.state} in (${sqlList(IDEMPOTENCY_STATES)})`),
    index('idx_idempotency_expires').on(t.expiresAt),
  ],
)
