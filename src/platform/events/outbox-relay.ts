/**
 * The outbox relay: an in-process poller that moves outbox rows to an EventPublisher. At-least-once: a row is
 * marked PUBLISHED only after the publisher acknowledged it, so a relay killed mid-batch sends that batch again
 * (consumers deduplicate by eventId). Rows are leased (OUTBOX_LEASE_MS) in id order, one batch at a time; several
 * instances on one database never publish the same row twice while leases hold (see outbox-store.ts).
 *
 * Failures: an unreachable or silent broker backs the whole relay off (doubling up to 5 s) and hands the rows
 * back without spending their attempts. An event refused for a reason of its own (too large, no topic for its
 * type) spends an attempt and waits (doubling delay), becoming DEAD after OUTBOX_MAX_ATTEMPTS, while the rest of
 * its batch goes (outbox-batch.ts). A DEAD row does not hold back later events of its order: one bad event must
 * not silence an order for good; an operator re-drives it (/api/v1/admin/outbox).
 */

import type { Config } from '../../config'
import { appErrorIn } from '../../errors'
import { createFailureLog, type Logger } from '../observability/logger'
import type { EventTopics } from './contract'
import type { OutboxMetrics } from './event-metrics'
import type { EventPublisher } from './event-publisher'
import { publishClaimedBatch } from './outbox-batch'
import type { Backlog, OutboxStorage } from './outbox-store'

/** The OUTBOX_* settings as config.ts declares them, plus what the composition root adds. */
export type OutboxRelaySettings = Config['outbox'] & {
  /** unique per process: the lease owner of the rows this relay claims */
  owner: string
  /** event type → topic, from the features' event contracts */
  topics: EventTopics
}

export type BatchOutcome = { claimed: number; published: number; failed: number; isBrokerDown: boolean }

const OUTAGE_BACKOFF_START_MS = 200
const OUTAGE_BACKOFF_MAX_MS = 5_000
const RETENTION_EVERY_MS = 60_000
const RETENTION_BATCH = 1_000
/** the pause after a batch the database could not serve (a libSQL server away) */
const DATABASE_AWAY_RETRY_MS = 1_000

export class OutboxRelay {
  private running: Promise<void> | undefined
  private isStopping = false
  private wake: (() => void) | undefined
  private outageBackoffMs = 0
  private nextRetentionAt = 0

  constructor(
    private readonly store: OutboxStorage,
    private readonly publisher: EventPublisher,
    private readonly settings: OutboxRelaySettings,
    private readonly metrics: OutboxMetrics,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.logDatabaseAway = createFailureLog(logger, 'database unavailable: outbox relay retrying')
  }

  private readonly logDatabaseAway: (error: unknown) => void

  get state(): 'running' | 'stopped' | 'disabled' {
    if (!this.settings.isRelayEnabled) return 'disabled'
    return this.running ? 'running' : 'stopped'
  }

  /** Starts polling (unless OUTBOX_RELAY_ENABLED=false); returns at once. */
  start(): void {
    if (!this.settings.isRelayEnabled || this.running) return
    this.isStopping = false
    this.running = this.loop().finally(() => {
      this.running = undefined
    })
    this.logger.info({ owner: this.settings.owner }, 'outbox relay started')
  }

  /** Stops after the batch in progress (its outcome recorded); resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.isStopping = true
    this.wake?.()
    await this.running
  }

  async backlog(): Promise<Backlog> {
    return this.store.backlog(this.clock())
  }

  /** Relays batches until nothing is claimable or the broker is down; for tests and benchmarks. */
  async drain(): Promise<{ published: number; failed: number }> {
    const total = { published: 0, failed: 0 }
    for (;;) {
      const outcome = await this.relayBatch()
      total.published += outcome.published
      total.failed += outcome.failed
      if (outcome.claimed === 0 || outcome.isBrokerDown) return total
    }
  }

  /** Claims one batch, publishes it and records the outcome. */
  async relayBatch(): Promise<BatchOutcome> {
    const { owner, leaseMs, batchSize } = this.settings
    const batch = await this.store.claim(owner, this.clock(), leaseMs, batchSize)
    if (batch.length === 0) return { claimed: 0, published: 0, failed: 0, isBrokerDown: false }
    const result = await publishClaimedBatch(batch, this.publisher, this.settings.topics)
    const settled = await this.store.settle(owner, this.clock(), result, this.settings)
    this.metrics.published.inc(settled.published)
    if (result.failed.length > 0) this.metrics.failed.labels('rejected').inc(result.failed.length)
    if (result.outage) this.reportOutage(result.outage.error, result.outage.events)
    if (settled.dead > 0) {
      this.metrics.deadLettered.inc(settled.dead)
      this.logger.error({ dead: settled.dead }, 'outbox events dead-lettered')
    }
    return {
      claimed: batch.length,
      published: settled.published,
      failed: result.failed.length,
      isBrokerDown: result.outage !== undefined,
    }
  }

  private reportOutage(error: unknown, events: number): void {
    this.metrics.failed.labels('unavailable').inc(events)
    this.outageBackoffMs = Math.min(
      OUTAGE_BACKOFF_MAX_MS,
      Math.max(OUTAGE_BACKOFF_START_MS, this.outageBackoffMs * 2),
    )
    this.logger.warn(
      { err: (error as Error).message, retryInMs: this.outageBackoffMs },
      'event broker unavailable: outbox relay backing off',
    )
  }

  private async loop(): Promise<void> {
    while (!this.isStopping) {
      let delayMs = this.settings.pollIntervalMs
      try {
        const outcome = await this.relayBatch()
        if (outcome.isBrokerDown) delayMs = this.outageBackoffMs
        else if (outcome.claimed > 0) {
          if (this.outageBackoffMs > 0) this.logger.info('event broker reachable again: outbox relay resumed')
          this.outageBackoffMs = 0
          // a full batch means more is waiting: go again at once (after letting other work in)
          if (outcome.claimed === this.settings.batchSize) delayMs = 0
        }
        await this.deleteExpiredWhenDue()
      } catch (error) {
        // the database away (a libSQL server that does not answer): nothing to fix here, a warning now and then
        if (appErrorIn(error)?.code === 'SERVICE_UNAVAILABLE') {
          this.logDatabaseAway(error)
          delayMs = Math.max(delayMs, DATABASE_AWAY_RETRY_MS)
        } else this.logger.error({ err: (error as Error).message }, 'outbox relay batch failed')
      }
      await this.sleep(delayMs)
    }
  }

  /**
   * Retention, once a minute: PUBLISHED rows older than OUTBOX_RETENTION_HOURS, and the consumers' inbox rows older
   * than INBOX_RETENTION_HOURS (the event tables' upkeep lives in one place, with the relay that fills them).
   */
  private async deleteExpiredWhenDue(): Promise<void> {
    const now = this.clock()
    if (now < this.nextRetentionAt) return
    this.nextRetentionAt = now + RETENTION_EVERY_MS
    const deleted = await this.deleteExpired(now)
    const forgotten = await this.deleteExpiredInbox(now)
    if (deleted > 0) this.logger.info({ deleted }, 'outbox retention: published events deleted')
    if (forgotten > 0) this.logger.info({ forgotten }, 'inbox retention: old event ids forgotten')
  }

  /** Deletes PUBLISHED rows older than the retention, a bounded batch per transaction; returns how many. */
  deleteExpired(now = this.clock()): Promise<number> {
    const cutoff = now - this.settings.retentionHours * 3_600_000
    return inBatches((limit) => this.store.deleteExpired(cutoff, limit))
  }

  /** Deletes inbox rows received before the inbox retention, in bounded batches; returns how many. */
  deleteExpiredInbox(now = this.clock()): Promise<number> {
    const cutoff = now - this.settings.inboxRetentionHours * 3_600_000
    return inBatches((limit) => this.store.deleteExpiredInbox(cutoff, limit))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }
}

/** Runs a bounded delete until a batch comes back short; requests waiting for the write lock go in between. */
async function inBatches(deleteBatch: (limit: number) => number | Promise<number>): Promise<number> {
  let deleted = 0
  for (;;) {
    const batch = await deleteBatch(RETENTION_BATCH)
    deleted += batch
    if (batch < RETENTION_BATCH) return deleted
    await Bun.sleep(0)
  }
}
