/**
 * The read cache (the guide's Phase 2): cache-aside over two levels.
 *
 *   read:  L1 (this process's memory, seconds) → L2 (Redis, minutes) → the loader (the database), then fill both.
 *   write: the writer calls `invalidate(keys)` after its commit: L1 entries go at once, L2 keys are deleted and
 *          every other instance drops its L1 copies (cache-invalidation.ts, Redis pub/sub).
 *
 * Stampedes (a hot key expires under load) are stopped twice. Within a process, one fill per key at a time
 * (single flight): concurrent readers of a missing key await the same promise. Across processes, a Redis lock
 * per key (`SET … NX PX`): the instance holding it loads and stores; the others poll L2 briefly for its result
 * and only load themselves if the holder is slow or gone (a lock never stalls a read longer than LOCK_WAIT_MS).
 * This is the guide's case where a distributed lock pays: without it N instances hit the database together.
 *
 * Staleness bound. An instance serves another instance's pre-write copy for at most the pub/sub latency when
 * Redis is up, and at most CACHE_L1_TTL_MS when the message is lost (Redis down; a resubscribing instance drops
 * its whole L1). A fill that read the database before a write and stored after the write's delete is removed by
 * a second delete REDELETE_AFTER_MS later. Redis unusable (down, slow, breaker open): reads go to the database,
 * L1 keeps serving for its short TTL, nothing fails.
 *
 * Without Redis (the embedded default) L1 is the only level and keeps entries for the cache's full TTL: every
 * write happens in this process and invalidates it directly.
 */

import { SQLITE_SPAN } from '../db/database'
import { createFailureLog, type Logger } from '../observability/logger'
import type { CacheMetrics, HotCounter } from '../observability/metrics'
import { inSpan } from '../observability/tracing'
import type { RedisHandle } from '../redis/redis'
import type { CacheInvalidation } from './cache-invalidation'
import type { LocalCache } from './local-cache'

/** A named cache: its values' type, the key schema version (bump it when the value's shape changes), TTLs. */
export type CacheSpec<T> = {
  name: string
  version: number
  ttlMs: number
  /** for `null` values (the thing does not exist) */
  absentTtlMs: number
  /** never set; carries T */
  readonly valueType?: T
}

/** The key of `id` in cache `spec`, without the Redis prefix: `<name>:v<version>:<id>`. */
export function cacheKey(spec: CacheSpec<unknown>, id: string): string {
  return `${spec.name}:v${spec.version}:${id}`
}

export function cacheSpec<T>(
  name: string,
  version: number,
  ttlMs: number,
  absentTtlMs = ttlMs,
): CacheSpec<T> {
  return { name, version, ttlMs, absentTtlMs }
}

/** What read paths depend on: the two-level cache, or `UncachedReads` when CACHE_ENABLED=false. */
export interface ReadCache {
  readonly isEnabled: boolean
  /** The value for `id`: cached, or loaded and cached. `null` = the thing does not exist (cached too). */
  get<T>(spec: CacheSpec<T>, id: string, load: Loader<T>): Promise<T | null>
  /** After a commit: drop these keys everywhere. Never throws. */
  invalidate(keys: string[]): Promise<void>
  /** Creates the cache's metric series at 0 before its first read, so rate() sees that read. */
  prepare?(spec: CacheSpec<unknown>): void
}

/** Reads the value from the database: at once (bun:sqlite) or in a Promise (libSQL). */
export type Loader<T> = () => T | null | Promise<T | null>

/** How long the lock holder may take to fill before waiters load themselves. */
const LOCK_WAIT_MS = 300
const LOCK_POLL_MS = 15
/** The lock outlives a crashed holder by at most this. */
const LOCK_TTL_MS = 2_000
/** ±10 %: keys filled together do not all expire together (a stampede of their own). */
const TTL_JITTER = 0.1

type Flight<T> = { promise: Promise<Filled<T>>; isStale: boolean }
type Filled<T> = { value: T | null; source: 'l2' | 'db' }
type SpecCounters = { l1Hit: HotCounter; l2Hit: HotCounter; miss: HotCounter; load: HotCounter }

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

export class TwoLevelCache implements ReadCache {
  readonly isEnabled = true
  private readonly inflight = new Map<string, Flight<unknown>>()
  private readonly counters = new Map<string, SpecCounters>()
  private readonly logFailure: (error: unknown) => void
  private lockTokens = 0

  constructor(
    private readonly options: {
      l1: LocalCache<unknown>
      l1TtlMs: number
      metrics: CacheMetrics
      logger: Logger
      /** absent: L1 only */
      redis?: RedisHandle
      invalidation?: CacheInvalidation
    },
  ) {
    this.logFailure = createFailureLog(options.logger, 'cache: Redis unavailable, reading the database')
    options.invalidation?.onRemoteInvalidation((keys) => this.dropLocal(keys))
  }

  async get<T>(spec: CacheSpec<T>, id: string, load: Loader<T>): Promise<T | null> {
    const counters = this.countersOf(spec)
    const key = cacheKey(spec, id)
    const cached = this.options.l1.get(key)
    if (cached !== undefined) {
      counters.l1Hit.inc()
      return cached as T | null
    }
    let flight = this.inflight.get(key) as Flight<T> | undefined
    if (flight === undefined) flight = this.startFill(spec, key, load)
    const { value, source } = await flight.promise
    ;(source === 'l2' ? counters.l2Hit : counters.miss).inc()
    return value
  }

  async invalidate(keys: string[]): Promise<void> {
    this.dropLocal(keys)
    await this.options.invalidation?.broadcast(keys)
  }

  /** L1 copies go; fills in flight for these keys may finish for their waiters but store nothing. */
  private dropLocal(keys: readonly string[] | 'all'): void {
    const dropped = keys === 'all' ? [...this.inflight.keys()] : keys
    if (keys === 'all') this.options.l1.clear()
    for (const key of dropped) {
      if (keys !== 'all') this.options.l1.delete(key)
      const flight = this.inflight.get(key)
      if (flight) {
        flight.isStale = true
        this.inflight.delete(key)
      }
    }
  }

  private startFill<T>(spec: CacheSpec<T>, key: string, load: Loader<T>): Flight<T> {
    const flight: Flight<T> = { promise: undefined as never, isStale: false }
    flight.promise = this.fill(spec, key, load, flight).finally(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key)
    })
    this.inflight.set(key, flight as Flight<unknown>)
    return flight
  }

  private async fill<T>(spec: CacheSpec<T>, key: string, load: Loader<T>, flight: Flight<T>) {
    const { redis } = this.options
    if (redis) {
      let stored: string | null | undefined
      try {
        stored = await redis.run((c) => c.get(this.redisKeyOf(key)))
      } catch (error) {
        this.logFailure(error)
      }
      if (stored != null) return this.remember(spec, key, JSON.parse(stored) as T | null, flight, 'l2')
      if (stored === null) return this.fillUnderLock(redis, spec, key, load, flight)
    }
    return this.remember(spec, key, await this.load(spec, load), flight, 'db')
  }

  private async fillUnderLock<T>(
    redis: RedisHandle,
    spec: CacheSpec<T>,
    key: string,
    load: Loader<T>,
    flight: Flight<T>,
  ): Promise<Filled<T>> {
    const redisKey = this.redisKeyOf(key)
    const lockKey = `${redis.keyPrefix}cache-lock:${key}`
    const token = `${process.pid}:${++this.lockTokens}`
    const isHolder = await redis
      .run((c) => c.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX'))
      .then((reply) => reply === 'OK')
      .catch((error) => {
        this.logFailure(error)
        return false
      })
    if (!isHolder) {
      const stored = await this.awaitOtherFill(redis, redisKey)
      if (stored !== undefined) return this.remember(spec, key, stored as T | null, flight, 'l2')
    }
    try {
      const value = await this.load(spec, load)
      if (!flight.isStale) {
        const ttlMs = jittered(value === null ? spec.absentTtlMs : spec.ttlMs)
        await redis.run((c) => c.set(redisKey, JSON.stringify(value), 'PX', ttlMs)).catch(this.logFailure)
      }
      return this.remember(spec, key, value, flight, 'db')
    } finally {
      if (isHolder) await redis.run((c) => c.eval(RELEASE_LOCK, 1, lockKey, token)).catch(this.logFailure)
    }
  }

  /** The lock holder's result once it is in L2; undefined if it does not come within LOCK_WAIT_MS. */
  private async awaitOtherFill(redis: RedisHandle, redisKey: string): Promise<unknown> {
    const deadline = Date.now() + LOCK_WAIT_MS
    while (Date.now() < deadline) {
      await Bun.sleep(LOCK_POLL_MS)
      const stored = await redis
        .run((c) => c.get(redisKey))
        .catch((error) => {
          this.logFailure(error)
          return null
        })
      if (stored !== null) return JSON.parse(stored)
    }
    return undefined
  }

  private load<T>(spec: CacheSpec<T>, load: Loader<T>): T | null | Promise<T | null> {
    this.countersOf(spec).load.inc()
    return inSpan(`db.query ${spec.name}`, SQLITE_SPAN, load)
  }

  private remember<T>(
    spec: CacheSpec<T>,
    key: string,
    value: T | null,
    flight: Flight<T>,
    source: Filled<T>['source'],
  ): Filled<T> {
    if (!flight.isStale) {
      const fullTtlMs = value === null ? spec.absentTtlMs : spec.ttlMs
      // with Redis, other instances' writes reach this L1 by message only: keep it short (see header); 0 = no L1
      const ttlMs = this.options.redis ? Math.min(fullTtlMs, this.options.l1TtlMs) : fullTtlMs
      if (ttlMs > 0) this.options.l1.set(key, value, ttlMs)
    }
    return { value, source }
  }

  private redisKeyOf(key: string): string {
    return `${this.options.redis?.keyPrefix ?? ''}cache:${key}`
  }

  prepare(spec: CacheSpec<unknown>): void {
    this.countersOf(spec)
  }

  /** Counters made once per cache: the hit path must not build label objects. */
  private countersOf(spec: CacheSpec<unknown>): SpecCounters {
    let counters = this.counters.get(spec.name)
    if (counters === undefined) {
      const { metrics } = this.options
      counters = {
        l1Hit: metrics.hit(spec.name, 'l1'),
        l2Hit: metrics.hit(spec.name, 'l2'),
        miss: metrics.miss(spec.name),
        load: metrics.load(spec.name),
      }
      this.counters.set(spec.name, counters)
    }
    return counters
  }
}

/** CACHE_ENABLED=false: every read loads (benchmarks compare against this; the cache's behaviour is off). */
export class UncachedReads implements ReadCache {
  readonly isEnabled = false
  get<T>(_spec: CacheSpec<T>, _id: string, load: Loader<T>): Promise<T | null> {
    return Promise.resolve(load())
  }
  async invalidate(): Promise<void> {}
}

function jittered(ttlMs: number): number {
  return Math.max(1, Math.round(ttlMs * (1 - TTL_JITTER + Math.random() * 2 * TTL_JITTER)))
}
