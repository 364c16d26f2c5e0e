/**
 * Request rate limiting in fixed windows aligned to the clock (window n = floor(now / windowMs)), so every
 * instance agrees on when a window starts and a refused client knows exactly when to come back. In process for
 * the embedded default (one Map op per request; the table is cleared when a window ends, so it only ever holds
 * the keys seen in the current window, and at most `maxKeys` of them), or in Redis when REDIS_URL is set, so a
 * limit holds across instances: one counter per key and window, `<prefix>ratelimit:<scope>:<id>:<window>`,
 * INCR'd and given its expiry in one Lua script (one round trip, atomic). Instances use their own clocks: NTP
 * skew of a few ms only moves which window a request near the edge lands in.
 *
 * Failure policy with Redis: fail OPEN (admitted, not counted, no headers) with a throttled warning. A limit
 * protects capacity; a Redis outage must not turn into refusing every order. No request waits longer than the
 * command timeout (src/platform/redis.ts).
 */
import type { Logger } from './logger'
import { createFailureLog, type RedisHandle } from './redis'

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

type Settings = { limit: number; windowMs: number }

function decide({ limit, windowMs }: Settings, count: number, now: number): RateLimitDecision {
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

/** INCR, and on the window's first hit its expiry (one window past its end: clocks may differ a little). */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`

type ScriptedRedis = RedisHandle['client'] & {
  rateLimitHit(key: string, expiryMs: number): Promise<number>
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
    // defineCommand sends EVALSHA and falls back to EVAL once when Redis lacks the script (after a restart)
    if (!('rateLimitHit' in redis.client)) {
      redis.client.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT })
    }
    this.logFailure = createFailureLog(logger, `rate limit ${scope} unavailable: requests are admitted`)
  }

  keyOf(id: string, window: number): string {
    return `${this.redis.keyPrefix}ratelimit:${this.scope}:${id}:${window}`
  }

  async hit(id: string): Promise<RateLimitDecision | undefined> {
    const now = Date.now()
    const window = Math.floor(now / this.settings.windowMs)
    try {
      const key = this.keyOf(id, window)
      const count = await this.redis.run((c) =>
        (c as ScriptedRedis).rateLimitHit(key, this.settings.windowMs * 2),
      )
      return decide(this.settings, count, now)
    } catch (error) {
      this.logFailure(error)
      return undefined
    }
  }
}
