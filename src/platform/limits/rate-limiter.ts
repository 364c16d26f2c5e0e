/**
 * Request rate limiting in fixed windows aligned to the clock (window n = floor(now / windowMs)), so every
 * instance agrees on when a window starts and a refused client knows exactly when to come back. In process for
 * the embedded default (one Map op per request; the table is cleared when a window ends, so it only ever holds
 * the keys seen in the current window, and at most `maxKeys` of them), or in Redis when REDIS_URL is set, so a
 * limit holds across instances: one counter per key and window, `<prefix>ratelimit:<scope>:<id>:<window>`,
 * INCR'd and given its expiry in one Lua script (one round trip, atomic). That exact form serves the per-member
 * order limit; the per-IP limit, checked on every request, shares its counts in batches
 * (batched-rate-limiter.ts). Instances use their own clocks: NTP
 * skew of a few ms only moves which window a request near the edge lands in.
 *
 * Failure policy with Redis: fail OPEN (admitted, not counted, no headers) with a throttled warning. A limit
 * protects capacity; a Redis outage must not turn into refusing every order. No request waits longer than the
 * command timeout (src/platform/redis/redis.ts).
 */
import { createFailureLog, type Logger } from '../observability/logger'
import type { RedisHandle } from '../redis/redis'

export type RateLimitDecision = {
  isAllowed: boolean
  limit: number
  /** requests left in this window after this one */
  remaining: number
  /** whole seconds until the window ends (≥ 1): the `reset` and `Retry-After` values */
  resetSeconds: number
  windowSeconds: number
}

export interface RateLimiter {
  readonly limit: number
  /** true when `hit` answers synchronously (in process), so a hot-path hook need not be async */
  readonly isSynchronous: boolean
  /**
   * Counts one request for `id` and says whether it is within the limit. Synchronous in process (the hot path
   * pays no promise); `undefined` when the count is unknown (Redis unreachable): admit without headers.
   */
  hit(id: string): RateLimitDecision | undefined | Promise<RateLimitDecision | undefined>
}

export type Settings = { limit: number; windowMs: number }

export function decide({ limit, windowMs }: Settings, count: number, now: number): RateLimitDecision {
  const windowEndsAt = (Math.floor(now / windowMs) + 1) * windowMs
  return {
    isAllowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetSeconds: Math.max(1, Math.ceil((windowEndsAt - now) / 1000)),
    windowSeconds: Math.max(1, Math.ceil(windowMs / 1000)),
  }
}

export class InMemoryRateLimiter implements RateLimiter {
  readonly limit: number
  readonly isSynchronous = true
  private readonly counts = new Map<string, { count: number }>()
  private window = -1

  constructor(
    private readonly settings: Settings,
    private readonly maxKeys = 100_000,
  ) {
    this.limit = settings.limit
  }

  hit(id: string): RateLimitDecision {
    const now = Date.now()
    const window = Math.floor(now / this.settings.windowMs)
    if (window !== this.window) {
      this.counts.clear()
      this.window = window
    }
    const entry = this.counts.get(id)
    if (entry) {
      entry.count += 1
      return decide(this.settings, entry.count, now)
    }
    // A full table (more distinct clients in one window than maxKeys) admits newcomers uncounted rather than
    // growing without bound; it empties at the next window.
    if (this.counts.size < this.maxKeys) this.counts.set(id, { count: 1 })
    return decide(this.settings, 1, now)
  }
}

/**
 * INCRBY, and on the window's first hits its expiry (one window past its end: clocks may differ a little). One
 * script for both Redis limiters: the exact one adds 1 per request, the batched one a batch.
 */
const ADD_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`

export type CountingRedis = RedisHandle['client'] & {
  rateLimitAdd(key: string, expiryMs: number, amount: number): Promise<number>
}

/** Registers the script on the client once; defineCommand sends EVALSHA, and EVAL once after a Redis restart. */
export function withCountingScript(redis: RedisHandle): void {
  if (!('rateLimitAdd' in redis.client)) {
    redis.client.defineCommand('rateLimitAdd', { numberOfKeys: 1, lua: ADD_SCRIPT })
  }
}

/** The shared counter of one key and window: `<prefix>ratelimit:<scope>:<id>:<window>`. */
export function counterKey(redis: RedisHandle, scope: string, id: string, window: number): string {
  return `${redis.keyPrefix}ratelimit:${scope}:${id}:${window}`
}

export class RedisRateLimiter implements RateLimiter {
  readonly limit: number
  readonly isSynchronous = false
  private readonly logFailure: (error: unknown) => void

  constructor(
    private readonly redis: RedisHandle,
    private readonly scope: string,
    private readonly settings: Settings,
    logger: Logger,
  ) {
    this.limit = settings.limit
    withCountingScript(redis)
    this.logFailure = createFailureLog(logger, `rate limit ${scope} unavailable: requests are admitted`)
  }

  async hit(id: string): Promise<RateLimitDecision | undefined> {
    const now = Date.now()
    const window = Math.floor(now / this.settings.windowMs)
    try {
      const key = counterKey(this.redis, this.scope, id, window)
      const count = await this.redis.run((c) =>
        (c as CountingRedis).rateLimitAdd(key, this.settings.windowMs * 2, 1),
      )
      return decide(this.settings, count, now)
    } catch (error) {
      this.logFailure(error)
      return undefined
    }
  }
}
