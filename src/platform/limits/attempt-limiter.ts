/**
 * Counts failures per key in a fixed window (login throttling per account and per IP). In process for the
 * embedded default (bounded: a full table evicts its oldest windows first), or in Redis when REDIS_URL is set, so
 * the count holds across instances: one counter per key, `<prefix>login:failures:<key>`, whose window starts at
 * its first failure (`INCR` + `PEXPIRE … NX` in one MULTI, Redis ≥ 7.0) and whose `PTTL` is the Retry-After.
 *
 * Failure policy with Redis: fail OPEN (not blocked, failure not counted) with a throttled warning. Throttling
 * guards against password guessing; a Redis outage must not lock every member out of signing in. Guesses are
 * still slowed by argon2id (tens of ms each) while Redis is away.
 */
import { createFailureLog, type Logger } from '../observability/logger'
import type { RedisHandle } from '../redis/redis'

export interface AttemptLimiter {
  /** true when `key` has used up its failures in the current window */
  isBlocked(key: string): Promise<boolean>
  recordFailure(key: string): Promise<void>
  reset(key: string): Promise<void>
  /** seconds until the current window of `key` ends */
  retryAfterSeconds(key: string): Promise<number>
}

type Window = { count: number; endsAt: number }

export class InMemoryAttemptLimiter implements AttemptLimiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async isBlocked(key: string): Promise<boolean> {
    return (this.current(key)?.count ?? 0) >= this.maxFailures
  }

  async recordFailure(key: string): Promise<void> {
    const window = this.current(key)
    if (window) {
      window.count += 1
      return
    }
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
    this.windows.set(key, { count: 1, endsAt: this.now() + this.windowMs })
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key)
  }

  async retryAfterSeconds(key: string): Promise<number> {
    const window = this.current(key)
    return window ? Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000)) : 0
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key)
    if (window && window.endsAt <= this.now()) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }
}

export class RedisAttemptLimiter implements AttemptLimiter {
  private readonly logFailure: (error: unknown) => void

  constructor(
    private readonly redis: RedisHandle,
    private readonly maxFailures: number,
    private readonly windowMs: number,
    logger: Logger,
  ) {
    this.logFailure = createFailureLog(logger, 'login throttling unavailable: failures are not counted')
  }

  keyOf(key: string): string {
    return `${this.redis.keyPrefix}login:failures:${key}`
  }

  async isBlocked(key: string): Promise<boolean> {
    try {
      return Number((await this.redis.run((c) => c.get(this.keyOf(key)))) ?? 0) >= this.maxFailures
    } catch (error) {
      this.logFailure(error)
      return false
    }
  }

  async recordFailure(key: string): Promise<void> {
    const redisKey = this.keyOf(key)
    try {
      await this.redis.runBatch((c) => c.multi().incr(redisKey).pexpire(redisKey, this.windowMs, 'NX'))
    } catch (error) {
      this.logFailure(error)
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.redis.run((c) => c.del(this.keyOf(key)))
    } catch (error) {
      this.logFailure(error)
    }
  }

  async retryAfterSeconds(key: string): Promise<number> {
    try {
      const ttlMs = await this.redis.run((c) => c.pttl(this.keyOf(key)))
      return ttlMs > 0 ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0
    } catch (error) {
      this.logFailure(error)
      return Math.ceil(this.windowMs / 1000)
    }
  }
}
