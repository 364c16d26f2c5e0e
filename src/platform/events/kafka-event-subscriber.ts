/**
 * Consumer groups on Kafka (kafkajs). Offsets are committed by hand, after the handler has stored a batch
 * (`eachBatch`, autoCommit off): one handler call and one commit per fetched batch of a partition, so a consumer
 * writes one database transaction per batch rather than per message. A crash between the handler's commit and the
 * offset commit redelivers the batch; handlers deduplicate by eventId. A new group starts from the earliest
 * offset, so events published before it first joined are not skipped. A consumer that cannot reach the broker at
 * start keeps trying in the background; once running, kafkajs restarts it after failures by itself.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Logger } from '../observability/logger'
import type { EventHandler, EventSubscriber } from './event-publisher'
import { consumerLagOf, createKafka, ensureTopics, KafkaAdmin, type KafkaSettings } from './kafka'

const RESTART_DELAY_MS = 2_000
/**
 * A member that crashed while the broker was away never left the group, and the first rebalance after the broker
 * returns waits for it to time out: 10 s rather than kafkajs's 30 s default bounds that pause.
 */
const GROUP_TIMEOUTS = { sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 1_000 }

type Group = { groupId: string; topics: readonly string[]; consumer: Consumer | undefined }

export class KafkaEventSubscriber implements EventSubscriber {
  readonly mode = 'kafka'
  private readonly kafka: Kafka
  private readonly admin: KafkaAdmin
  private readonly groups: Group[] = []
  private isClosed = false

  constructor(
    private readonly settings: KafkaSettings,
    /** every event topic (prefixed), created at start when missing */
    private readonly topics: readonly string[],
    private readonly logger: Logger,
  ) {
    this.kafka = createKafka(settings, logger)
    this.admin = new KafkaAdmin(this.kafka)
  }

  /** Resolves once the group runs, or after its first failed attempt (it keeps trying in the background). */
  async subscribe(groupId: string, topics: readonly string[], handle: EventHandler): Promise<void> {
    const group: Group = { groupId, topics, consumer: undefined }
    this.groups.push(group)
    if (await this.startGroup(group, handle)) return
    void this.retryStart(group, handle)
  }

  async consumerLag(): Promise<Record<string, number>> {
    const lag: Record<string, number> = {}
    for (const group of this.groups) {
      const ofGroup = await consumerLagOf(this.admin, group.groupId, [...group.topics])
      for (const [topic, value] of Object.entries(ofGroup)) lag[topic] = (lag[topic] ?? 0) + value
    }
    return lag
  }

  /** Stops every group after the batch it is processing; its offsets are committed by then. */
  async close(): Promise<void> {
    this.isClosed = true
    await Promise.all(this.groups.map((group) => group.consumer?.disconnect().catch(() => {})))
    await this.admin.close()
  }

  private async retryStart(group: Group, handle: EventHandler): Promise<void> {
    while (!this.isClosed) {
      await Bun.sleep(RESTART_DELAY_MS)
      if (this.isClosed || (await this.startGroup(group, handle))) return
    }
  }

  private async startGroup(group: Group, handle: EventHandler): Promise<boolean> {
    const consumer = this.kafka.consumer({ groupId: group.groupId, maxWaitTimeInMs: 250, ...GROUP_TIMEOUTS })
    // kafkajs restarts a crashed consumer only for errors it deems retriable; after a broker restart it can
    // crash for good ("Failed to find group coordinator"), so those restarts are ours
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.isClosed) return
      this.logger.warn(
        { err: payload.error.message, groupId: group.groupId },
        'kafka consumer stopped by a failure kafkajs does not retry; restarting it',
      )
      group.consumer = undefined
      void this.retryStart(group, handle)
    })
    try {
      await consumer.connect()
      // the topics may not exist yet when no publisher has run against this broker
      await this.admin.use((admin) => ensureTopics(admin, this.settings, this.topics), 15_000)
      await consumer.subscribe({ topics: [...group.topics], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => processBatch(payload, handle),
      })
      if (this.isClosed) await consumer.disconnect()
      else group.consumer = consumer
      return true
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message, groupId: group.groupId },
        'kafka consumer could not start; retrying',
      )
      await consumer.disconnect().catch(() => {})
      return false
    }
  }
}

async function processBatch(payload: EachBatchPayload, handle: EventHandler): Promise<void> {
  const { batch } = payload
  const last = batch.messages.at(-1)
  if (!last) return
  await handle(
    batch.messages.map((message) => ({
      topic: batch.topic,
      key: message.key?.toString() ?? null,
      value: message.value?.toString() ?? '',
      traceparent: message.headers?.traceparent?.toString(),
    })),
  )
  payload.resolveOffset(last.offset)
  // the offset to commit is the next one to read
  const next = (BigInt(last.offset) + 1n).toString()
  await payload.commitOffsetsIfNecessary({
    topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
  })
  await payload.heartbeat()
}
