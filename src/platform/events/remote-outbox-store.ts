/**
 * The outbox on a libSQL server (sqld, Turso): the same statements as outbox-store.ts, each call one round trip.
 * A claim is one `UPDATE … RETURNING` (atomic on the server, so two relays on two instances never lease the same
 * row while leases hold); a settlement is one `batch(…, 'write')` (published, released and failed rows recorded
 * together or not at all, fenced by the lease owner as on the local file).
 */
import type { Client, InStatement } from '@libsql/client'
import {
  BACKLOG_SQL,
  type Backlog,
  backlogOf,
  CLAIM_SQL,
  type ClaimedEvent,
  DELETE_EXPIRED_INBOX_SQL,
  DELETE_EXPIRED_SQL,
  failureBindings,
  MARK_PUBLISHED_SQL,
  type OutboxStorage,
  RECORD_FAILURE_SQL,
  RELEASE_SQL,
  type Settlement,
} from './outbox-store'

export class RemoteOutboxStore implements OutboxStorage {
  constructor(private readonly client: Client) {}

  async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedEvent[]> {
    const result = await this.client.execute({
      sql: CLAIM_SQL,
      args: { owner, now, leaseUntil: now + leaseMs, limit },
    })
    return result.rows
      .map((row) => ({
        id: Number(row.id),
        eventId: String(row.eventId),
        aggregateType: String(row.aggregateType),
        aggregateId: String(row.aggregateId),
        eventType: String(row.eventType),
        payload: String(row.payload),
        attempts: Number(row.attempts),
        traceContext: row.traceContext === null ? null : String(row.traceContext),
      }))
      .sort((a, b) => a.id - b.id)
  }

  async settle(
    owner: string,
    now: number,
    outcome: Settlement,
    retry: { maxAttempts: number; retryBaseMs: number },
  ): Promise<{ published: number; dead: number }> {
    const statements: InStatement[] = [
      { sql: MARK_PUBLISHED_SQL, args: { owner, now, ids: JSON.stringify(outcome.published) } },
      { sql: RELEASE_SQL, args: { owner, ids: JSON.stringify(outcome.released) } },
      ...outcome.failed.map((failure) => ({
        sql: RECORD_FAILURE_SQL,
        args: failureBindings(failure, owner, now, retry),
      })),
    ]
    const [published, , ...failures] = await this.client.batch(statements, 'write')
    const dead = failures.filter((failure) => failure.rows[0]?.status === 'DEAD').length
    return { published: published!.rowsAffected, dead }
  }

  async deleteExpired(cutoff: number, limit: number): Promise<number> {
    return (await this.client.execute({ sql: DELETE_EXPIRED_SQL, args: { cutoff, limit } })).rowsAffected
  }

  async deleteExpiredInbox(cutoff: number, limit: number): Promise<number> {
    return (await this.client.execute({ sql: DELETE_EXPIRED_INBOX_SQL, args: { cutoff, limit } }))
      .rowsAffected
  }

  async backlog(now: number): Promise<Backlog> {
    const [row] = (await this.client.execute(BACKLOG_SQL)).rows
    return backlogOf(
      {
        pending: Number(row!.pending),
        oldestCreatedAt: row!.oldestCreatedAt === null ? null : Number(row!.oldestCreatedAt),
        dead: Number(row!.dead),
      },
      now,
    )
  }
}
