/**
 * The relay's statements on outbox_events. SQLite has no SKIP LOCKED, so rows are claimed with lease columns
 * in ONE `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` inside a BEGIN IMMEDIATE transaction: two relays
 * (in this process or another) can never claim the same row while its lease runs. Every later write is fenced
 * with `lease_owner = :owner`, so a relay whose lease expired and was taken over changes nothing. Statements are
 * compiled once (bun:sqlite); id lists travel as one JSON array parameter.
 */
import type { DatabaseHandle } from '../db/database'
import type { Awaitable } from '../db/read-db'

export type ClaimedEvent = {
  id: number
  eventId: string
  aggregateType: string
  aggregateId: string
  eventType: string
  /** the stored envelope JSON */
  payload: string
  attempts: number
  /** the W3C traceparent stored with the row (null when it was written untraced) */
  traceContext: string | null
}

export type Backlog = { pending: number; oldestPendingAgeSeconds: number; dead: number }

/** A failed row's next try: `retryBaseMs` × 2^attempts, capped here. */
const MAX_RETRY_DELAY_MS = 5 * 60_000

/**
 * Claimable: PENDING, not leased (or its lease expired), not waiting to retry, and no earlier PENDING row of the
 * same aggregate is held (leased by someone, or waiting to retry): a later event of an order never overtakes an
 * earlier one. DEAD rows hold nothing back. `idx_outbox_held` makes that check one index probe per candidate.
 */
export const CLAIM_CANDIDATES_SQL = `
  select o.id from outbox_events o
  where o.status = 'PENDING'
    and (o.lease_until is null or o.lease_until <= $now)
    and (o.next_attempt_at is null or o.next_attempt_at <= $now)
    and not exists (
      select 1 from outbox_events held
      where held.status = 'PENDING' and (held.lease_until is not null or held.next_attempt_at is not null)
        and held.aggregate_type = o.aggregate_type and held.aggregate_id = o.aggregate_id and held.id < o.id
        and (held.lease_until > $now or held.next_attempt_at > $now))
  order by o.id
  limit $limit`

export const CLAIM_SQL = `
  update outbox_events set lease_owner = $owner, lease_until = $leaseUntil
  where id in (${CLAIM_CANDIDATES_SQL})
  returning id, event_id as eventId, aggregate_type as aggregateType, aggregate_id as aggregateId,
    event_type as eventType, payload, attempts, trace_context as traceContext`

export const MARK_PUBLISHED_SQL = `
  update outbox_events set status = 'PUBLISHED', published_at = $now, lease_until = null, next_attempt_at = null
  where id in (select value from json_each($ids)) and lease_owner = $owner and status = 'PENDING'`

export const RELEASE_SQL = `
  update outbox_events set lease_owner = null, lease_until = null
  where id in (select value from json_each($ids)) and lease_owner = $owner and status = 'PENDING'`

export const RECORD_FAILURE_SQL = `
  update outbox_events set
    attempts = attempts + 1,
    last_error = $error,
    status = case when attempts + 1 >= $maxAttempts then 'DEAD' else 'PENDING' end,
    next_attempt_at = case when attempts + 1 >= $maxAttempts then null
      else $now + min($retryBaseMs * (1 << min(attempts, 30)), $maxDelayMs) end,
    lease_owner = null,
    lease_until = null
  where id = $id and lease_owner = $owner and status = 'PENDING'
  returning status`

/** Looks at the oldest `limit` PUBLISHED rows only (published in about id order), so each run is bounded. */
export const DELETE_EXPIRED_SQL = `
  delete from outbox_events where id in (
    select id from (
      select id, published_at from outbox_events where status = 'PUBLISHED' order by id limit $limit)
    where published_at < $cutoff)`

/** The same bounded shape over inbox_events: rowid order is arrival order, so no index on received_at is needed. */
export const DELETE_EXPIRED_INBOX_SQL = `
  delete from inbox_events where rowid in (
    select rowid from (
      select rowid, received_at from inbox_events order by rowid limit $limit)
    where received_at < $cutoff)`

export const BACKLOG_SQL = `
  select
    (select count(*) from outbox_events where status = 'PENDING') as pending,
    (select created_at from outbox_events where status = 'PENDING' order by id limit 1) as oldestCreatedAt,
    (select count(*) from outbox_events where status = 'DEAD') as dead`

export type Settlement = {
  published: readonly number[]
  failed: readonly { id: number; error: string }[]
  released: readonly number[]
}

/**
 * What the relay needs from where the outbox lives: this file's OutboxStore on the local file (synchronous,
 * each call one short write transaction), or RemoteOutboxStore on a libSQL server (the same statements, each
 * call one batch).
 */
export interface OutboxStorage {
  claim(owner: string, now: number, leaseMs: number, limit: number): Awaitable<ClaimedEvent[]>
  settle(
    owner: string,
    now: number,
    outcome: Settlement,
    retry: { maxAttempts: number; retryBaseMs: number },
  ): Awaitable<{ published: number; dead: number }>
  deleteExpired(cutoff: number, limit: number): Awaitable<number>
  deleteExpiredInbox(cutoff: number, limit: number): Awaitable<number>
  backlog(now: number): Awaitable<Backlog>
}

/** The bindings of RECORD_FAILURE_SQL for one failed row (the error text bounded). */
export function failureBindings(
  failure: { id: number; error: string },
  owner: string,
  now: number,
  retry: { maxAttempts: number; retryBaseMs: number },
) {
  return {
    id: failure.id,
    owner,
    now,
    error: failure.error.slice(0, 1_000),
    maxAttempts: retry.maxAttempts,
    retryBaseMs: retry.retryBaseMs,
    maxDelayMs: Math.max(MAX_RETRY_DELAY_MS, retry.retryBaseMs),
  }
}

/** The age of the oldest pending row, from its creation time. */
export function backlogOf(
  row: { pending: number; oldestCreatedAt: number | null; dead: number },
  now: number,
) {
  const age = row.oldestCreatedAt === null ? 0 : Math.max(0, (now - row.oldestCreatedAt) / 1000)
  return { pending: row.pending, oldestPendingAgeSeconds: age, dead: row.dead }
}

export class OutboxStore implements OutboxStorage {
  private readonly statements

  constructor(private readonly database: DatabaseHandle) {
    const sqlite = database.sqlite
    this.statements = {
      claim: sqlite.query<ClaimedEvent, Record<string, number | string>>(CLAIM_SQL),
      markPublished: sqlite.query(MARK_PUBLISHED_SQL),
      release: sqlite.query(RELEASE_SQL),
      recordFailure: sqlite.query<{ status: string }, Record<string, number | string>>(RECORD_FAILURE_SQL),
      deleteExpired: sqlite.query(DELETE_EXPIRED_SQL),
      deleteExpiredInbox: sqlite.query(DELETE_EXPIRED_INBOX_SQL),
      backlog: sqlite.query<{ pending: number; oldestCreatedAt: number | null; dead: number }, []>(
        BACKLOG_SQL,
      ),
    }
  }

  /** Leases up to `limit` claimable rows to `owner` until `now + leaseMs`; in id order. */
  claim(owner: string, now: number, leaseMs: number, limit: number): ClaimedEvent[] {
    const rows = this.database.writeTransaction(() =>
      this.statements.claim.all({ owner, now, leaseUntil: now + leaseMs, limit }),
    )
    return rows.sort((a, b) => a.id - b.id)
  }

  /**
   * Records a batch's outcome in one transaction, fenced by `owner`: published rows, failed rows (an attempt
   * spent; DEAD at `maxAttempts`, else retried after a doubling delay) and rows handed back untouched.
   * Returns how many rows became DEAD.
   */
  settle(
    owner: string,
    now: number,
    outcome: Settlement,
    retry: { maxAttempts: number; retryBaseMs: number },
  ): { published: number; dead: number } {
    return this.database.writeTransaction(() => {
      const published = this.statements.markPublished.run({
        owner,
        now,
        ids: JSON.stringify(outcome.published),
      })
      this.statements.release.run({ owner, ids: JSON.stringify(outcome.released) })
      let dead = 0
      for (const failure of outcome.failed) {
        const row = this.statements.recordFailure.get(failureBindings(failure, owner, now, retry))
        if (row?.status === 'DEAD') dead++
      }
      return { published: published.changes, dead }
    })
  }

  /** Deletes up to `limit` PUBLISHED rows published before `cutoff`; returns how many. */
  deleteExpired(cutoff: number, limit: number): number {
    return this.database.writeTransaction(() => this.statements.deleteExpired.run({ cutoff, limit }).changes)
  }

  /** Deletes up to `limit` inbox rows received before `cutoff` (oldest first); returns how many. */
  deleteExpiredInbox(cutoff: number, limit: number): number {
    return this.database.writeTransaction(
      () => this.statements.deleteExpiredInbox.run({ cutoff, limit }).changes,
    )
  }

  /** Pending count, age of the oldest pending row, DEAD count: three index-served lookups. */
  backlog(now: number): Backlog {
    return backlogOf(this.statements.backlog.get()!, now)
  }
}
