/**
 * The `outbox` lab's view of Kafka from outside the app: it creates the app's event topics before the app does,
 * with the broker stamping each record with the time it appended it (`message.timestamp.type=LogAppendTime`; the
 * app's publisher finds the topics there and leaves them be), and at the end reads every topic from the beginning
 * with a real kafkajs consumer of its own group, until it has as many records as the partitions' offsets say the
 * topics hold. So "on the topic" means stored by the broker, and "when" is the broker's clock, not a client's.
 */
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'

/** One record as the broker stored it: the event id of its envelope, and when the broker appended it (epoch ms). */
export type TopicRecord = { topic: string; eventId: string; appendedAt: number }

const READ_TIMEOUT_MS = 30_000

function labKafka(address: string): Kafka {
  return new Kafka({
    clientId: 'lab-outbox',
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 1_000 },
  })
}

/** Creates `topics` with `partitions` each, records timestamped by the broker; waits for their leaders. */
export async function createTopicsStampedByBroker(
  address: string,
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  const admin = labKafka(address).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    })
  } finally {
    await admin.disconnect()
  }
}

/** Every record of `topics`, from the first offset to the last, read by a consumer group of its own. */
export async function readEveryRecord(address: string, topics: readonly string[]): Promise<TopicRecord[]> {
  const kafka = labKafka(address)
  const admin = kafka.admin()
  await admin.connect()
  let stored = 0
  try {
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        stored += Number(partition.high) - Number(partition.low)
      }
    }
  } finally {
    await admin.disconnect()
  }
  const records: TopicRecord[] = []
  const consumer = kafka.consumer({ groupId: `lab-outbox-reader-${randomUUID()}`, maxWaitTimeInMs: 100 })
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const envelope = JSON.parse(message.value?.toString() ?? '{}') as { eventId?: string }
        records.push({ topic, eventId: String(envelope.eventId), appendedAt: Number(message.timestamp) })
      },
    })
    const deadline = Date.now() + READ_TIMEOUT_MS
    while (records.length < stored) {
      if (Date.now() > deadline) {
        throw new Error(`the reader got ${records.length} of the ${stored} records on the topics in 30 s`)
      }
      await Bun.sleep(50)
    }
  } finally {
    await consumer.disconnect()
  }
  return records
}
