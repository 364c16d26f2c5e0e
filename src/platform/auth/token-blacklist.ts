/**
 * Revoked access tokens by `jti`, kept until the token would have expired anyway. Two stores:
 * - the database (no REDIS_URL, the embedded default): table `revoked_access_tokens`, so a logout survives a
 *   restart and holds for every process on the same file. The check is one prepared primary-key lookup
 *   (bun:sqlite, a few µs); rows past their `exp` are never matched and are deleted once a minute, at most
 *   CLEANUP_BATCH rows per write transaction, so a large backlog never holds the write lock for long. On a libSQL
 *   server (sqld, Turso) the same three statements, each one call (`remoteRevocations`).
 * - Redis when REDIS_URL is set, so a logout holds on every instance: `SET <prefix>token:blacklist:<jti> 1 PX
 *   <ms until exp>`, asked with `EXISTS`; Redis drops each entry when its token expires.
 *
 * Failure policy with Redis (see RedisTokenBlacklist): the check fails OPEN, the logout write fails LOUDLY.
 */
import type { Client } from '@libsql/client'
import { AppError } from '../../errors'
import type { DatabaseHandle } from '../db/database'
import type { Awaitable } from '../db/read-db'
import { createFailureLog, type Logger } from '../observability/logger'
import type { RedisHandle } from '../redis/redis'

export interface TokenBlacklist {
  add(jti: string, expiresAtMs: number): Promise<void>
  has(jti: string): Promise<boolean>
  /** Starts the store's background upkeep, if it has any (connectDeps). */
  start?(): void
  /** Stops that upkeep; resolves once a run in progress has ended (closeDeps, before the database closes). */
  stop?(): Promise<void>
}

const CLEANUP_EVERY_MS = 60_000
const CLEANUP_BATCH = 1_000

const IS_REVOKED_SQL = 'select 1 as revoked from revoked_access_tokens where jti = $jti and expires_at > $now'
// a second logout of the same token (a retry) keeps the first row: same jti, same exp
const REVOKE_SQL = `insert into revoked_access_tokens (jti, expires_at) values ($jti, $expiresAt)
  on conflict (jti) do nothing`
// served by idx_revoked_access_tokens_expires: the oldest expired rows first, `limit` at a time
const DELETE_EXPIRED_SQL = `delete from revoked_access_tokens where jti in (
  select jti from revoked_access_tokens where expires_at <= $now order by expires_at limit $limit)`

/** The table's three statements on one driver. */
export interface RevocationStatements {
  isRevoked(jti: string, now: number): Awaitable<boolean>
  revoke(jti: string, expiresAt: number): Awaitable<void>
  /** deletes at most `limit` expired rows; answers how many */
  deleteExpired(now: number, limit: number): Awaitable<number>
}

/** On the local file: statements prepared once, writes in their own short transaction. */
export function localRevocations(database: DatabaseHandle): RevocationStatements {
  const isRevoked = database.sqlite.query<{ revoked: number }, [{ jti: string; now: number }]>(IS_REVOKED_SQL)
  const revoke = database.sqlite.query<unknown, [{ jti: string; expiresAt: number }]>(REVOKE_SQL)
  const deleteExpired = database.sqlite.query<unknown, [{ now: number; limit: number }]>(DELETE_EXPIRED_SQL)
  return {
    isRevoked: (jti, now) => isRevoked.get({ jti, now }) !== null,
    revoke: (jti, expiresAt) => void database.writeTransaction(() => revoke.run({ jti, expiresAt })),
    deleteExpired: (now, limit) => database.writeTransaction(() => deleteExpired.run({ now, limit }).changes),
  }
}

/** On a libSQL server: each statement one call (the client's deadline applies). */
export function remoteRevocations(client: Client): RevocationStatements {
  return {
    isRevoked: async (jti, now) =>
      (await client.execute({ sql: IS_REVOKED_SQL, args: { jti, now } })).rows.length > 0,
    revoke: async (jti, expiresAt) =>
      void (await client.execute({ sql: REVOKE_SQL, args: { jti, expiresAt } })),
    deleteExpired: async (now, limit) =>
      (await client.execute({ sql: DELETE_EXPIRED_SQL, args: { now, limit } })).rowsAffected,
  }
}

export class DatabaseTokenBlacklist implements TokenBlacklist {
  private timer: ReturnType<typeof setInterval> | undefined
  private cleanup: Promise<number> | undefined
  private isStopping = false

  constructor(
    private readonly statements: RevocationStatements,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async add(jti: string, expiresAtMs: number): Promise<void> {
    if (expiresAtMs <= this.now()) return
    await this.statements.revoke(jti, expiresAtMs)
  }

  async has(jti: string): Promise<boolean> {
    return this.statements.isRevoked(jti, this.now())
  }

  start(): void {
    this.isStopping = false
    this.timer ??= setInterval(() => void this.deleteExpired(), CLEANUP_EVERY_MS)
    // upkeep alone must not keep a process alive
    this.timer.unref?.()
  }

  async stop(): Promise<void> {
    this.isStopping = true
    clearInterval(this.timer)
    this.timer = undefined
    await this.cleanup
  }

  /**
   * Deletes the rows of tokens that have expired, CLEANUP_BATCH per write transaction, yielding between batches
   * so requests waiting for the write lock go first; returns how many. One run at a time; errors are logged.
   */
  deleteExpired(): Promise<number> {
    this.cleanup ??= this.deleteExpiredInBatches().finally(() => {
      this.cleanup = undefined
    })
    return this.cleanup
  }

  private async deleteExpiredInBatches(): Promise<number> {
    let deleted = 0
    try {
      while (!this.isStopping) {
        const now = this.now()
        const batch = await this.statements.deleteExpired(now, CLEANUP_BATCH)
        deleted += batch
        if (batch < CLEANUP_BATCH) break
        await Bun.sleep(0)
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'token blacklist cleanup failed; retrying later')
    }
    if (deleted > 0) this.logger.info({ deleted }, 'token blacklist: expired revocations deleted')
    return deleted
  }
}

/**
 * `has` fails open: when Redis cannot answer, a token is treated as not revoked, and a throttled warning is logged.
 * Failing closed would sign every member out for the whole outage and turn a Redis outage into an outage of every
 * authenticated route, for a check that matters only for access tokens logged out in the last
 * JWT_ACCESS_TTL_SECONDS (15 min by default): their signature and `exp` are still verified, and their refresh
 * family is revoked in the database, so a logged-out session cannot outlive its access token's `exp`.
 * `add` fails loudly: logout answers 503 rather than claim a revocation that did not happen (the refresh family is
 * revoked first, in the database, so only the short-lived access token stays usable).
 */
export class RedisTokenBlacklist implements TokenBlacklist {
  private readonly logFailure: (error: unknown) => void

  constructor(
    private readonly redis: RedisHandle,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.logFailure = createFailureLog(
      logger,
      'token blacklist unavailable: revoked access tokens are accepted',
    )
  }

  keyOf(jti: string): string {
    return `${this.redis.keyPrefix}token:blacklist:${jti}`
  }

  async add(jti: string, expiresAtMs: number): Promise<void> {
    const ttlMs = Math.ceil(expiresAtMs - this.now())
    if (ttlMs <= 0) return
    try {
      await this.redis.run((c) => c.set(this.keyOf(jti), '1', 'PX', ttlMs))
    } catch (error) {
      this.logFailure(error)
      throw new AppError('SERVICE_UNAVAILABLE', 'The access token could not be revoked right now; try again')
    }
  }

  async has(jti: string): Promise<boolean> {
    try {
      return (await this.redis.run((c) => c.exists(this.keyOf(jti)))) === 1
    } catch (error) {
      this.logFailure(error)
      return false
    }
  }
}
