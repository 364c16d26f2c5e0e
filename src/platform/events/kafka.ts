/**
 * The kafkajs client as this app configures it, and what its publisher and consumer share: short connection and
 * request timeouts with few retries (so a down broker is noticed in seconds, not minutes), kafkajs's own log lines
 * routed to pino at warn and above, topics created up front with explicit partitions (the broker does not
 * auto-create them), a health probe, and the one place that tells an outage from an error of a message.
 */
import { type Admin, Kafka, type logCreator, logLevel } from 'kafkajs'
import type { Config } from '../../config'
import type { Logger } from '../observability/logger'
import type { TransportHealth } from './event-publisher'

export type KafkaSettings = NonNullable<Config['kafka']>

/** How long a health probe or a lag query may take before it counts as failed. */
const PROBE_TIMEOUT_MS = 1_000

/**
 * Protocol errors that belong to one record, not to the broker or the producer: only these make the relay
 * isolate the batch and count attempts. Anything else (connection, timeout, leadership, producer state) is
 * treated as an outage, so a misconfiguration stalls the relay visibly instead of dead-lettering every event.
 */
const RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
])

/** A kafkajs line repeated within this window (an outage repeats some many times a second) is only counted. */
const LOG_REPEAT_WINDOW_MS = 10_000

/**
 * kafkajs's own log lines, at warn and above, through pino; a line repeating within LOG_REPEAT_WINDOW_MS (digits
 * ignored) is dropped and counted in the next one's `repeated`. The idempotent producer's warning about limited
 * retries is dropped: the limit is deliberate, and the publisher restores the guarantee itself (a fresh producer
 * after any failed send, see kafka-event-publisher.ts).
 */
function pinoLogCreator(logger: Logger): logCreator {
  const recent = new Map<string, { at: number; repeated: number }>()
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log
      if (message.startsWith('Limiting retries for the idempotent producer')) return
      const key = `${namespace}:${message.replace(/\d+/g, '#')}`
      const now = Date.now()
      const last = recent.get(key)
      if (last && now - last.at < LOG_REPEAT_WINDOW_MS) {
        last.repeated++
        return
      }
      if (recent.size > 1_000) recent.clear()
      recent.set(key, { at: now, repeated: 0 })
      const line = { kafka: { namespace, ...extra }, repeated: last?.repeated || undefined }
      if (level === logLevel.ERROR) logger.error(line, `kafkajs: ${message}`)
      else logger.warn(line, `kafkajs: ${message}`)
    }
}

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: 1_000,
    requestTimeout: settings.sendTimeoutMs,
    // few, short retries: the relay has its own backoff, and an idempotent producer needs at least one
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
  })
}

/** Rejects with a timeout error when `work` has not settled within `ms`; `work` itself keeps running. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(`${what} took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError'
}

/** Whether `error` (or an error it wraps) is a broker's refusal of a record itself. */
export function isRecordError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type
    if (typeof type === 'string' && RECORD_ERRORS.has(type)) return true
  }
  return false
}

/**
 * One admin client, connected on first use and replaced after any failure (a broker that went away leaves it
 * holding dead connections); each use has a deadline.
 */
export class KafkaAdmin {
  private connected: Promise<Admin> | undefined

  constructor(private readonly kafka: Kafka) {}

  async use<T>(work: (admin: Admin) => Promise<T>, timeoutMs = PROBE_TIMEOUT_MS): Promise<T> {
    const connected = this.connected ?? this.connect()
    try {
      return await withDeadline(
        connected.then((admin) => work(admin)),
        timeoutMs,
        'kafka admin request',
      )
    } catch (error) {
      if (this.connected === connected) this.connected = undefined
      void connected.then((admin) => admin.disconnect()).catch(() => {})
      throw error
    }
  }

  private connect(): Promise<Admin> {
    const admin = this.kafka.admin()
    this.connected = admin.connect().then(() => admin)
    return this.connected
  }

  async close(): Promise<void> {
    const connected = this.connected
    this.connected = undefined
    await connected?.then((admin) => admin.disconnect()).catch(() => {})
  }
}

/** Creates the event topics with explicit partitions unless they exist, and waits for their leaders. */
export async function ensureTopics(
  admin: Admin,
  settings: KafkaSettings,
  names: readonly string[],
): Promise<void> {
  const topics = names.map((topic) => ({
    topic,
    numPartitions: settings.topicPartitions,
    replicationFactor: 1,
  }))
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter(({ topic }) => !existing.has(topic))
  // another instance may create them meanwhile: createTopics then resolves false, which is fine
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true })
}

/** describeCluster within a second: UP with the broker count; a failure throws (health shows it DOWN). */
export async function probeCluster(admin: KafkaAdmin): Promise<TransportHealth> {
  const started = performance.now()
  const cluster = await admin.use((client) => client.describeCluster())
  return {
    status: cluster.brokers.length > 0 ? 'UP' : 'DOWN',
    details: {
      mode: 'kafka',
      brokers: cluster.brokers.length,
      controller: cluster.controller,
      latencyMs: Math.round(performance.now() - started),
    },
  }
}

/** Sum over partitions of (log end − committed offset) per topic, for `groupId`; within a second. */
export async function consumerLagOf(admin: KafkaAdmin, groupId: string, topics: string[]) {
  return admin.use(async (client) => {
    const lag: Record<string, number> = {}
    const committed = await client.fetchOffsets({ groupId, topics })
    for (const { topic, partitions } of committed) {
      const ends = await client.fetchTopicOffsets(topic)
      lag[topic] = ends.reduce((sum, end) => {
        const offset = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1)
        // -1: nothing committed yet, so the group has the whole partition ahead of it
        return sum + Number(end.high) - (offset < 0 ? Number(end.low) : offset)
      }, 0)
    }
    return lag
  })
}
