/**
 * Revoked access tokens by `jti`, kept until the token would have expired anyway. In process for the embedded
 * default (one instance; memory bounded by expiry, entries swept as they pass their `exp`), or in Redis when
 * REDIS_URL is set, so a logout holds on every instance: `SET <prefix>token:blacklist:<jti> 1 PX <ms until exp>`,
 * asked with `EXISTS`; Redis drops each entry when its token expires.
 *
 * Failure policy with Redis (see RedisTokenBlacklist): the check fails OPEN, the logout write fails LOUDLY.
 */
import { AppError } from '../errors'
import type { Logger } from './logger'
import { createFailureLog, type RedisHandle } from './redis'

export interface TokenBlacklist {
  add(jti: string, expiresAtMs: number): Promise<void>
  has(jti: string): Promise<boolean>
}

export class InMemoryTokenBlacklist implements TokenBlacklist {
  private readonly expiries = new Map<string, number>()
  private nextSweepAt = 0

  constructor(private readonly now: () => number = Date.now) {}

  async add(jti: string, expiresAtMs: number): Promise<void> {
    this.sweep()
    if (expiresAtMs > this.now()) this.expiries.set(jti, expiresAtMs)
  }

  async has(jti: string): Promise<boolean> {
    const expiresAt = this.expiries.get(jti)
    return expiresAt !== undefined && expiresAt > this.now()
  }

  get size(): number {
    return this.expiries.size
  }

  private sweep(): void {
    const now = this.now()
    if (now < this.nextSweepAt) return
    this.nextSweepAt = now + 60_000
    for (const [jti, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(jti)
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
