/**
 * The per-IP limit when Redis is set: decisions in process, counts shared through Redis in batches. The per-IP
 * check runs on every /api/v1 request; a Redis round trip each time halved the throughput of the cached product
 * read (`bun run bench`), so this limiter never waits for Redis on the request path.
 *
 * Mechanism: each instance counts the hits of the current window per key (`pending`) and, FLUSH_MS after the
 * first unsent hit, adds them to the shared counter `<prefix>ratelimit:<scope>:<id>:<window>` (INCRBY and the
 * expiry in one Lua call per key, pipelined). Redis answers the window's total over every instance, which
 * becomes the key's `known` base: a hit is admitted while known + pending ≤ limit.
 *
 * Precision: exact on one instance; with N instances an instance learns of the others' hits at its next flush,
 * so a window can admit up to limit + (N − 1) × (one instance's hits per FLUSH_MS) in the worst case. The
 * per-member order limit (10/s, where one extra order matters) stays exact: RedisRateLimiter, one round trip
 * per order. Redis unreachable: flushes fail (logged, throttled) and each instance keeps limiting on its own
 * counts — stricter than failing open, and no request waits. A flush goes through the `redis` circuit breaker
 * (`runBatch`): a batch whose commands time out is a failure there like any command's, and while the breaker is
 * open no flush reaches Redis.
 */
import { createFailureLog, type Logger } from '../observability/logger'
import type { RedisHandle } from '../redis/redis'
import {
  type CountingRedis,
  counterKey,
  decide,
  type RateLimitDecision,
  type RateLimiter,
  type Settings,
  withCountingScript,
} from './rate-limiter'

const FLUSH_MS = 20

type Entry = { known: number; pending: number }

export class BatchedRedisRateLimiter implements RateLimiter {
  readonly limit: number
  readonly isSynchronous = true
  private entries = new Map<string, Entry>()
  private window = -1
  private flushTimer: Timer | undefined
  private readonly logFailure: (error: unknown) => void

  constructor(
    private readonly redis: RedisHandle,
    private readonly scope: string,
    private readonly settings: Settings,
    logger: Logger,
    private readonly maxKeys = 100_000,
  ) {
    this.limit = settings.limit
    withCountingScript(redis)
    this.logFailure = createFailureLog(logger, `rate limit ${scope}: counts not shared (Redis unavailable)`)
  }

  hit(id: string): RateLimitDecision {
    const now = Date.now()
    const window = Math.floor(now / this.settings.windowMs)
    if (window !== this.window) {
      // a new table: hits still unsent for the window that ended no longer decide anything
      this.entries = new Map()
      this.window = window
    }
    let entry = this.entries.get(id)
    if (entry === undefined) {
      entry = { known: 0, pending: 0 }
      // beyond maxKeys distinct clients in one window, newcomers are admitted uncounted (bounded memory)
      if (this.entries.size < this.maxKeys) this.entries.set(id, entry)
    }
    entry.pending += 1
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS)
    return decide(this.settings, entry.known + entry.pending, now)
  }

  /** Sends every unsent count of the current window in one pipeline; each answer becomes that key's base. */
  private async flush(): Promise<void> {
    this.flushTimer = undefined
    const { window, entries } = this
    const sent = [...entries].filter(([, entry]) => entry.pending > 0)
    if (sent.length === 0) return
    const amounts = sent.map(([, entry]) => entry.pending)
    for (const [, entry] of sent) entry.pending = 0
    const expiryMs = this.settings.windowMs * 2
    try {
      const totals = await this.redis.runBatch((c) => {
        const pipeline = c.pipeline() as unknown as CountingRedis & ReturnType<typeof c.pipeline>
        sent.forEach(([id], i) => {
          pipeline.rateLimitAdd(counterKey(this.redis, this.scope, id, window), expiryMs, amounts[i]!)
        })
        return pipeline
      })
      sent.forEach(([, entry], i) => {
        entry.known = Number(totals[i])
      })
    } catch (error) {
      // Not shared, still counted here: the local view keeps limiting on its own. One failed command fails the
      // batch (a breaker failure, redis.ts); a key whose add did land only counts locally until its next reply.
      this.logFailure(error)
      sent.forEach(([, entry], i) => {
        entry.known += amounts[i]!
      })
    }
  }
}
