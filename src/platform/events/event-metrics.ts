/**
 * The metrics of the outbox → broker → consumer path (SPEC §10), on the app's registry. The backlog gauges and
 * the consumer lag are read when Prometheus scrapes: the backlog by index-served lookups, the lag by three
 * admin requests at most every LAG_REFRESH_MS (a scrape in between sees the last reading), so a scrape's cost
 * is bounded whatever the backlog. Labels are bounded: a failure reason, a topic.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Backlog } from './outbox-store'

export type OutboxMetrics = {
  /** events acknowledged by the broker and marked PUBLISHED */
  published: Counter
  /** events not published by one attempt: `unavailable` (the broker) or `rejected` (the event itself) */
  failed: Counter<'reason'>
  deadLettered: Counter
}

export type EventMetrics = {
  outbox: OutboxMetrics
  notificationsSent: Counter
  consumerDeadLetters: Counter<'consumer'>
}

const LAG_REFRESH_MS = 5_000

export function createEventMetrics(registry: Registry): EventMetrics {
  const registers = [registry]
  const metrics: EventMetrics = {
    outbox: {
      published: new Counter({
        name: 'marketplace_outbox_published_total',
        help: 'Outbox events acknowledged by the broker',
        registers,
      }),
      failed: new Counter({
        name: 'marketplace_outbox_failed_total',
        help: 'Outbox events a publish attempt did not deliver, by reason (unavailable, rejected)',
        labelNames: ['reason'] as const,
        registers,
      }),
      deadLettered: new Counter({
        name: 'marketplace_outbox_dead_lettered_total',
        help: 'Outbox events that reached OUTBOX_MAX_ATTEMPTS and became DEAD',
        registers,
      }),
    },
    notificationsSent: new Counter({
      name: 'marketplace_notifications_sent_total',
      help: 'Notifications sent by the notification consumer (each event at most once)',
      registers,
    }),
    consumerDeadLetters: new Counter({
      name: 'marketplace_consumer_dead_letters_total',
      help: 'Delivered events a consumer set aside (not an envelope, unknown type, payload off its schema)',
      labelNames: ['consumer'],
      registers,
    }),
  }
  // at 0 from the start, so a first failure is an increase rate() sees (see observability/metrics.ts)
  for (const reason of ['unavailable', 'rejected']) metrics.outbox.failed.inc({ reason }, 0)
  return metrics
}

/** marketplace_outbox_pending and marketplace_outbox_oldest_pending_age_seconds, read at scrape time. */
export function registerBacklogGauges(registry: Registry, readBacklog: () => Promise<Backlog>): void {
  new Gauge({
    name: 'marketplace_outbox_pending',
    help: 'Outbox events waiting to be published',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).pending)
    },
  })
  new Gauge({
    name: 'marketplace_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox event waiting to be published (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).oldestPendingAgeSeconds)
    },
  })
}

/** marketplace_kafka_consumer_lag{topic}: refreshed at most every 5 s; absent while it cannot be read. */
export function registerConsumerLagGauge(
  registry: Registry,
  readLag: () => Promise<Record<string, number>>,
): void {
  let last: { at: number; lag: Record<string, number> } | undefined
  new Gauge({
    name: 'marketplace_kafka_consumer_lag',
    help: 'Messages published but not yet processed by the notification consumer group, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
    async collect() {
      if (!last || Date.now() - last.at >= LAG_REFRESH_MS) {
        const lag = await readLag().catch(() => undefined)
        last = lag && { at: Date.now(), lag }
      }
      this.reset()
      for (const [topic, value] of Object.entries(last?.lag ?? {})) this.labels(topic).set(value)
    },
  })
}
