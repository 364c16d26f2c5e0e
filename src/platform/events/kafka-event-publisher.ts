/**
 * The outbox's Kafka publisher: an idempotent kafkajs producer, acks=all, one request in flight, one batch at a
 * time, and a deadline on every send (kafkajs's idempotent producer would otherwise retry for ever).
 *
 * A send that fails, or outlives its deadline, leaves the producer's sequence numbers in doubt: kafkajs rolls
 * them back while the broker may have written the batch, and a later batch reusing those numbers could be taken
 * by the broker for a duplicate and dropped (the message losses of kafkajs #598 / #1005). So the producer that
 * failed is retired and the next send starts a fresh one (a new producer id, sequences from 0): the events in
 * doubt are sent again, duplicates are possible, losses are not. Until a timed-out send has settled, nothing else
 * is sent (`unavailable`), so two sends never overlap.
 */
import { type Kafka, Partitioners, type Producer } from 'kafkajs'
import type { Logger } from '../observability/logger'
import {
  type EventPublisher,
  type OutgoingEvent,
  PublishError,
  type TransportHealth,
} from './event-publisher'
import {
  createKafka,
  DeadlineExceededError,
  ensureTopics,
  isRecordError,
  KafkaAdmin,
  type KafkaSettings,
  probeCluster,
  withDeadline,
} from './kafka'

/** Topic creation waits for partition leaders: a fresh broker takes a few seconds. */
const TOPIC_SETUP_TIMEOUT_MS = 15_000

export class KafkaEventPublisher implements EventPublisher {
  readonly mode = 'kafka'
  private readonly kafka: Kafka
  private readonly admin: KafkaAdmin
  private producer: Producer | undefined
  private connecting: Promise<Producer> | undefined
  private hasTopics = false
  /** a send that outlived its deadline and has not settled yet */
  private orphanedSend: Promise<unknown> | undefined

  constructor(
    private readonly settings: KafkaSettings,
    /** every event topic (prefixed), created at start when missing */
    private readonly topics: readonly string[],
    private readonly logger: Logger,
  ) {
    this.kafka = createKafka(settings, logger)
    this.admin = new KafkaAdmin(this.kafka)
  }

  async start(): Promise<void> {
    await this.connectedProducer()
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return
    if (this.orphanedSend) throw new PublishError('unavailable', 'a timed-out send has not settled yet')
    const producer = await this.connectedProducer()
    const send = producer.sendBatch({
      acks: -1,
      timeout: this.settings.sendTimeoutMs,
      topicMessages: groupByTopic(events),
    })
    try {
      await withDeadline(send, this.settings.sendTimeoutMs, 'kafka send')
    } catch (error) {
      this.retire(producer, error instanceof DeadlineExceededError ? send : undefined)
      const kind = isRecordError(error) ? 'rejected' : 'unavailable'
      throw new PublishError(kind, describe(error), { cause: error })
    }
  }

  async probe(): Promise<TransportHealth> {
    return probeCluster(this.admin)
  }

  async close(): Promise<void> {
    const producer = this.producer
    this.producer = undefined
    await this.orphanedSend
    await producer?.disconnect().catch(() => {})
    await this.admin.close()
  }

  /** The live producer, or a new one connected and with the topics in place; failures are `unavailable`. */
  private connectedProducer(): Promise<Producer> {
    this.connecting ??= this.connectProducer().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async connectProducer(): Promise<Producer> {
    if (this.producer) return this.producer
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // kafkajs 2's default, named: Java-compatible murmur2 of the key (an order's events share a partition)
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    try {
      await withDeadline(producer.connect(), this.settings.sendTimeoutMs, 'kafka connect')
      if (!this.hasTopics) {
        await this.admin.use(
          (admin) => ensureTopics(admin, this.settings, this.topics),
          TOPIC_SETUP_TIMEOUT_MS,
        )
        this.hasTopics = true
      }
    } catch (error) {
      void producer.disconnect().catch(() => {})
      throw new PublishError('unavailable', describe(error), { cause: error })
    }
    this.producer = producer
    return producer
  }

  /**
   * Drops `producer` (see the module header) and disconnects it once its last send is over. `unsettledSend`: the
   * send outlived its deadline and kafkajs is still at it; every other send waits for it (`orphanedSend`).
   */
  private retire(producer: Producer, unsettledSend: Promise<unknown> | undefined): void {
    if (this.producer === producer) this.producer = undefined
    const settled = (unsettledSend ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    )
    if (unsettledSend) {
      const orphan = settled.then(() => {
        if (this.orphanedSend === orphan) this.orphanedSend = undefined
      })
      this.orphanedSend = orphan
    }
    void settled
      .then(() => producer.disconnect())
      .catch((error: Error) => {
        this.logger.warn({ err: error.message }, 'kafka producer did not disconnect cleanly')
      })
  }
}

function groupByTopic(events: readonly OutgoingEvent[]) {
  const byTopic = Map.groupBy(events, (event) => event.topic)
  return [...byTopic].map(([topic, messages]) => ({
    topic,
    messages: messages.map((event) => ({
      key: event.key,
      value: event.value,
      headers: {
        eventId: event.eventId,
        eventType: event.eventType,
        ...(event.traceparent ? { traceparent: event.traceparent } : {}),
      },
    })),
  }))
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  return cause instanceof Error && cause.message !== error.message
    ? `${error.message} (${cause.message})`
    : error.message
}
