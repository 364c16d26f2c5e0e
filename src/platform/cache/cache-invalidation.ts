/**
 * Cache invalidation across instances (see two-level-cache.ts). `broadcast(keys)` deletes the keys in Redis and
 * publishes them on one channel in the same round trip; every instance subscribes (its own connection: a
 * subscribed connection can do nothing else) and drops those keys from its L1. Messages carry the sender's id so
 * an instance skips its own.
 *
 * What can go wrong, and what happens:
 * - A fill on another instance read the database before the write and stores after the delete: every broadcast
 *   is repeated once REDELETE_AFTER_MS later (batched), which removes that copy.
 * - Redis is unreachable during a write: the keys wait in `pending` and are re-sent when Redis answers again
 *   (more than MAX_PENDING keys: the whole cache namespace is deleted instead). Meanwhile L1 copies elsewhere
 *   expire by their short TTL.
 * - The subscriber connection drops: messages sent meanwhile are lost, so on reconnect this instance drops its
 *   whole L1.
 */
import type Redis from 'ioredis'
import { createFailureLog, type Logger } from '../observability/logger'
import type { RedisHandle } from '../redis/redis'

const REDELETE_AFTER_MS = 500
const RETRY_PENDING_MS = 1_000
const MAX_PENDING = 10_000

type Message = { from: string; keys: string[] | 'all' }

export class CacheInvalidation {
  private readonly instanceId = crypto.randomUUID()
  private readonly channel: string
  private readonly subscriber: Redis
  private readonly logFailure: (error: unknown) => void
  private listener: (keys: string[] | 'all') => void = () => {}
  private readonly redelete = new Set<string>()
  private redeleteTimer: Timer | undefined
  private readonly pending = new Set<string>()
  private mustClearAll = false
  private retryTimer: Timer | undefined
  private hasBeenReady = false

  constructor(
    private readonly redis: RedisHandle,
    private readonly logger: Logger,
  ) {
    this.channel = `${redis.keyPrefix}cache:invalidations`
    this.logFailure = createFailureLog(logger, 'cache invalidation not delivered; retrying')
    this.subscriber = redis.client.duplicate({ autoResubscribe: false, lazyConnect: true })
    this.subscriber.on('error', createFailureLog(logger, 'cache invalidation subscriber disconnected'))
    this.subscriber.on('ready', () => this.onSubscriberReady())
    this.subscriber.on('message', (_channel: string, raw: string) => this.onMessage(raw))
  }

  /** Starts listening; resolves once subscribed, rejects when Redis cannot be reached now (it keeps retrying). */
  async start(): Promise<void> {
    if (this.subscriber.status === 'wait') await this.subscriber.connect()
    await this.subscriber.subscribe(this.channel)
  }

  onRemoteInvalidation(listener: (keys: string[] | 'all') => void): void {
    this.listener = listener
  }

  /** Deletes `keys` (cache keys without the Redis prefix) in Redis and tells the other instances. Never throws. */
  async broadcast(keys: string[]): Promise<void> {
    if (keys.length === 0) return
    const isSent = await this.send(keys)
    if (!isSent) this.keepPending(keys)
    for (const key of keys) this.redelete.add(key)
    this.redeleteTimer ??= setTimeout(() => this.sendRedeletes(), REDELETE_AFTER_MS)
  }

  async close(): Promise<void> {
    clearTimeout(this.redeleteTimer)
    clearTimeout(this.retryTimer)
    this.subscriber.disconnect()
  }

  private async send(keys: string[] | 'all'): Promise<boolean> {
    const message = JSON.stringify({ from: this.instanceId, keys } satisfies Message)
    try {
      if (keys === 'all') await this.deleteNamespace()
      await this.redis.runBatch((c) => {
        const batch = c.multi()
        if (keys !== 'all') batch.del(...keys.map((key) => this.redisKeyOf(key)))
        return batch.publish(this.channel, message)
      })
      return true
    } catch (error) {
      this.logFailure(error)
      return false
    }
  }

  private sendRedeletes(): void {
    const keys = [...this.redelete]
    this.redelete.clear()
    this.redeleteTimer = undefined
    void this.send(keys).then((isSent) => isSent || this.keepPending(keys))
  }

  private keepPending(keys: string[]): void {
    for (const key of keys) this.pending.add(key)
    if (this.pending.size > MAX_PENDING) {
      this.pending.clear()
      this.mustClearAll = true
    }
    this.retryTimer ??= setTimeout(() => this.retryPending(), RETRY_PENDING_MS)
  }

  private async retryPending(): Promise<void> {
    this.retryTimer = undefined
    const keys = this.mustClearAll ? 'all' : [...this.pending]
    this.pending.clear()
    this.mustClearAll = false
    if (await this.send(keys)) {
      this.logger.info({ keys: keys === 'all' ? 'all' : keys.length }, 'cache invalidations delivered late')
    } else if (keys === 'all') {
      this.mustClearAll = true
      this.retryTimer ??= setTimeout(() => this.retryPending(), RETRY_PENDING_MS)
    } else {
      this.keepPending(keys)
    }
  }

  /** SCAN + DEL of every cache key under this prefix (never KEYS: it blocks Redis). */
  private async deleteNamespace(): Promise<void> {
    let cursor = '0'
    do {
      const [next, keys] = await this.redis.run((c) =>
        c.scan(cursor, 'MATCH', `${this.redisKeyOf('')}*`, 'COUNT', 500),
      )
      if (keys.length > 0) await this.redis.run((c) => c.del(...keys))
      cursor = next
    } while (cursor !== '0')
  }

  private onSubscriberReady(): void {
    this.subscriber.subscribe(this.channel).catch(this.logFailure)
    // messages sent while this connection was down are lost: whatever L1 holds may be stale
    if (this.hasBeenReady) this.listener('all')
    this.hasBeenReady = true
  }

  private onMessage(raw: string): void {
    try {
      const message = JSON.parse(raw) as Message
      if (message.from !== this.instanceId) this.listener(message.keys)
    } catch (error) {
      this.logFailure(error)
    }
  }

  private redisKeyOf(key: string): string {
    return `${this.redis.keyPrefix}cache:${key}`
  }
}
