/**
 * Shared arrangements for the outbox tests: waiting for the relay, reading the outbox and the consumer's tables
 * straight from the file, writing a poison row the app itself could never write, and a Kafka consumer of the
 * test's own (real kafkajs, its own group) that records every message on the app's topics.
 */
import { Database } from 'bun:sqlite'
import { expect } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { type Consumer, Kafka, type KafkaMessage, logLevel } from 'kafkajs'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { EventTopics } from '../../src/platform/events/contract'
import { ensureTopics } from '../../src/platform/events/kafka'

/** Polls `probe` until it returns true; fails with `describe()` after `timeoutMs`. */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`)
    await Bun.sleep(50)
  }
}

/** Counts read from the database file through a connection of the test's own (the app may be another process). */
export function openOutboxReader(databaseFile: string) {
  const db = new Database(databaseFile)
  db.run('PRAGMA busy_timeout = 5000')
  const count = (sql: string, ...params: (string | number)[]) =>
    (db.query(sql).get(...params) as { n: number }).n
  return {
    byStatus(): Record<string, number> {
      const rows = db.query('select status, count(*) as n from outbox_events group by status').all() as {
        status: string
        n: number
      }[]
      return Object.fromEntries(rows.map((r) => [r.status, r.n]))
    },
    count,
    /** event ids of every outbox row of orders (what must reach the consumers) */
    orderEventIds(): string[] {
      return (
        db.query("select event_id from outbox_events where aggregate_type = 'Order'").all() as any[]
      ).map((r) => r.event_id)
    },
    close: () => db.close(),
  }
}

/**
 * Inserts a row the app cannot write (its event type has no topic): the relay can never publish it. Its envelope
 * is well formed, so fixing the type (as a deploy adding the route would) makes it publishable.
 */
export function insertPoisonEvent(db: Database, orderId: number, eventType = 'order.exploded'): number {
  const envelope = {
    eventId: randomUUID(),
    eventType,
    aggregateType: 'Order',
    aggregateId: String(orderId),
    occurredAt: new Date().toISOString(),
    version: 1,
    // a valid order.created payload: only its event type has no route (until a test "fixes" it)
    payload: {
      orderId,
      orderNumber: '00000000DEADBEEF',
      buyerId: 3,
      totalAmount: 0,
      items: [{ productId: 1, sellerId: 2, quantity: 1 }],
    },
  }
  db.query(
    `insert into outbox_events (event_id, aggregate_type, aggregate_id, event_type, payload)
     values (?, 'Order', ?, ?, ?)`,
  ).run(envelope.eventId, String(orderId), eventType, JSON.stringify(envelope))
  return (db.query('select last_insert_rowid() as id').get() as { id: number }).id
}

export type RecordedMessage = {
  topic: string
  partition: number
  offset: string
  key: string | null
  headers: Record<string, string>
  envelope: { eventId: string; eventType: string; aggregateId: string; payload: Record<string, any> }
}

/**
 * A consumer group of the test's own on the app's two topics (created with the app's partitions if missing), from
 * the beginning, recording every message.
 */
export async function recordKafkaMessages(brokers: string, topicPrefix: string) {
  const kafka = new Kafka({
    clientId: 'outbox-test-recorder',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 },
  })
  // the app creates its topics when it first publishes; this consumer may come first
  const admin = kafka.admin()
  await admin.connect()
  const settings = {
    brokers: [brokers],
    clientId: 'recorder',
    topicPrefix,
    topicPartitions: 3,
    sendTimeoutMs: 5_000,
  }
  const topics = new EventTopics(EVENT_CATALOG, topicPrefix).all()
  await ensureTopics(admin, settings, topics).finally(() => admin.disconnect())
  const messages: RecordedMessage[] = []
  let consumer: Consumer | undefined
  let isStopped = false
  const start = async () => {
    consumer = kafka.consumer({
      groupId: `${topicPrefix}test-recorder`,
      maxWaitTimeInMs: 200,
      sessionTimeout: 10_000,
    })
    // kafkajs gives up on some failures after a broker restart (a crash it does not restart): start again
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !isStopped) void Bun.sleep(1_000).then(start)
    })
    await consumer.connect()
    await consumer.subscribe({ topics, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) =>
        void messages.push(recordOf(topic, partition, message)),
    })
  }
  await start()
  return {
    messages,
    distinctEventIds: () => new Set(messages.map((m) => m.envelope.eventId)),
    stop: async () => {
      isStopped = true
      await consumer?.disconnect()
    },
  }
}

function recordOf(topic: string, partition: number, message: KafkaMessage): RecordedMessage {
  const headers = Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
  )
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    headers,
    envelope: JSON.parse(message.value?.toString() ?? 'null'),
  }
}

/** Deletes the topics named with `prefix` (a test file's own), once its clients are closed. */
export async function deleteKafkaTestTopics(brokers: string, prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'outbox-test-cleanup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.disconnect()
  }
}

/** Every id in `expected` was received, and nothing else. */
export function expectSameIds(received: Set<string>, expected: string[]): void {
  const wanted = new Set(expected)
  const missing = expected.filter((id) => !received.has(id))
  const unexpected = [...received].filter((id) => !wanted.has(id))
  expect({ missing: missing.length, unexpected: unexpected.length }).toEqual({ missing: 0, unexpected: 0 })
  expect(received.size).toBe(expected.length)
}
