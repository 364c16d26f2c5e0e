/**
 * The real Kafka broker that `bun test` starts (test/support/services.ts, scripts/kafka-broker.ts), driven with
 * kafkajs as the app will drive it: a topic of 3 partitions carries 100 messages from an idempotent producer to a
 * consumer group, and while the broker is stopped a send fails fast, then succeeds once it is back on the same
 * address with its data.
 */
import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import type { KafkaBroker } from '../../scripts/kafka-broker'
import { SERVICE_START_TIMEOUT_MS, useKafka, useKafkaBroker } from '../support/services'

let brokers: string
let broker: KafkaBroker
beforeAll(async () => {
  brokers = await useKafka()
  broker = await useKafkaBroker()
}, SERVICE_START_TIMEOUT_MS)

function kafkaTestClient(clientId: string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING, ...config })
}

async function createTopic(admin: Admin, numPartitions: number): Promise<string> {
  const topic = `test.kafka-broker.${crypto.randomUUID().slice(0, 8)}`
  expect(await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })).toBe(true)
  return topic
}

const cleanups: (() => Promise<unknown>)[] = [] // run last-in first-out after each test
afterEach(async () => {
  for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) await cleanup().catch(() => {})
}, 30_000)

describe('Kafka broker (KRaft, one node)', () => {
  test('100 messages from an idempotent producer reach a consumer group over 3 partitions', async () => {
    const kafka = kafkaTestClient('kafka-broker-test')
    const admin = kafka.admin()
    await admin.connect()
    cleanups.push(() => admin.disconnect())
    const topic = await createTopic(admin, 3)
    cleanups.push(() => admin.deleteTopics({ topics: [topic] }))

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 10 }, (_, i) => ({
        key: `k${batch * 10 + i}`,
        value: `${batch * 10 + i}`,
      }))
      await producer.send({ topic, acks: -1, messages })
    }

    const received = new Map<number, number>() // value → partition
    const consumer = kafka.consumer({ groupId: `${topic}.group`, maxWaitTimeInMs: 200 })
    await consumer.connect()
    cleanups.push(() => consumer.disconnect())
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.set(Number(message.value?.toString()), partition)
      },
    })
    const deadline = Date.now() + 20_000
    while (received.size < 100 && Date.now() < deadline) await Bun.sleep(50)

    expect([...received.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(new Set(received.values()).size).toBe(3)
  }, 30_000)

  test('stopped, a send fails fast; started again on the same address, sends succeed and data is kept', async () => {
    // few, short retries (the client's defaults, 5 from 300 ms doubling, take ~20 s to give up on a down broker)
    const retry = { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } // idempotence needs 1 at least
    const kafka = kafkaTestClient('kafka-broker-restart-test', { retry, connectionTimeout: 1_000 })
    expect(broker.address()).toBe(brokers)
    const admin = kafka.admin()
    await admin.connect()
    cleanups.push(() => admin.disconnect())
    const topic = await createTopic(admin, 1)
    cleanups.push(() => admin.deleteTopics({ topics: [topic] }))
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry })
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    const send = (value: string) => producer.send({ topic, acks: -1, messages: [{ value }] })
    await send('before')

    cleanups.push(() => broker.start()) // first of the cleanups: whatever happens below, the broker comes back
    await broker.stop()
    const stoppedAt = Date.now()
    await expect(send('while down')).rejects.toThrow()
    expect(Date.now() - stoppedAt).toBeLessThan(5_000)

    expect(await broker.start()).toBe(brokers)
    const deadline = Date.now() + 15_000
    let sent = false
    while (!sent && Date.now() < deadline) {
      sent = await send('after').then(
        () => true,
        () => Bun.sleep(200).then(() => false),
      )
    }
    expect(sent).toBe(true)
    const offsets = await admin.fetchTopicOffsets(topic)
    // "before", kept across the restart, and "after"; the failed send wrote nothing
    expect(offsets.map((o) => o.high)).toEqual(['2'])
  }, 45_000)
})
