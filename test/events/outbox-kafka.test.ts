/**
 * The outbox relay against the real Kafka that `bun test` starts (issue 5): what the app commits arrives at
 * a Kafka consumer exactly once after deduplication, an order's events in order, keyed by order id, on SPEC §10's
 * topics; a poison event (no topic for its type) and an event the broker refuses (too large) end DEAD without
 * holding back other orders' events, and a re-drive works. The notification consumer runs on Kafka too (its
 * group, offsets committed after its transaction). Outage: test/events/outbox-kafka-outage.test.ts; crash:
 * test/events/outbox-crash.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { kafkaTestEnv, useTestApp } from '../support/harness'
import { counterValue, freshProduct } from '../support/order-fixtures'
import {
  deleteKafkaTestTopics,
  expectSameIds,
  insertPoisonEvent,
  type RecordedMessage,
  recordKafkaMessages,
  waitUntil,
} from '../support/outbox-fixtures'
import { api, inParallel, orderBody } from '../support/server-process'

const { t, tokens, server, env } = useTestApp(
  async () => ({
    ...(await kafkaTestEnv('outbox-kafka')),
    OUTBOX_POLL_INTERVAL_MS: '20',
    OUTBOX_MAX_ATTEMPTS: '3',
    OUTBOX_RETRY_BASE_MS: '100',
  }),
  { tokens: true, startEventFlow: true, listen: true },
)
let recorder: Awaited<ReturnType<typeof recordKafkaMessages>>

beforeAll(async () => {
  recorder = await recordKafkaMessages(env.KAFKA_BROKERS, env.KAFKA_TOPIC_PREFIX)
}, 60_000)
afterAll(async () => {
  await recorder?.stop()
  if (env.KAFKA_BROKERS) await deleteKafkaTestTopics(env.KAFKA_BROKERS, env.KAFKA_TOPIC_PREFIX)
}, 30_000)

const sql = () => localFileOf(t.deps.database).sqlite
const topic = (name: string) => `${env.KAFKA_TOPIC_PREFIX}marketplace.order.${name}`
const eventIdsOf = (orderIds: number[]) =>
  (
    sql()
      .query(
        `select event_id from outbox_events where cast(aggregate_id as integer) in (${orderIds.join(',')})`,
      )
      .all() as { event_id: string }[]
  ).map((row) => row.event_id)
const messagesOf = (orderIds: number[]) => {
  const wanted = new Set(orderIds.map(String))
  return recorder.messages.filter((m) => wanted.has(m.envelope.aggregateId))
}
const statusOf = (id: number) =>
  (sql().query('select status from outbox_events where id = ?').get(id) as { status: string }).status

async function placeOrders(count: number, productId: number): Promise<number[]> {
  const responses = await inParallel(Array.from({ length: count }), 16, () =>
    api(server.baseUrl, 'POST', '/api/v1/orders', {
      token: tokens.buyer,
      body: orderBody([{ productId, quantity: 1 }]),
    }),
  )
  expect(responses.filter((res) => res.status !== 201).map((res) => res.text)).toEqual([])
  return responses.map((res) => res.body.id as number)
}

async function untilDelivered(orderIds: number[], timeoutMs = 20_000): Promise<Set<string>> {
  const expected = eventIdsOf(orderIds)
  const received = () => new Set(messagesOf(orderIds).map((m) => m.envelope.eventId))
  await waitUntil(
    () => expected.every((id) => received().has(id)),
    timeoutMs,
    () => `${received().size} of ${expected.length} events reached the consumer`,
  )
  return received()
}

describe('outbox → Kafka', () => {
  test('200 orders over HTTP: each order.created event reaches a Kafka consumer once after dedup, keyed by order id', async () => {
    const productId = await freshProduct(t, tokens.seller, 10_000)
    const orderIds = await placeOrders(200, productId)

    const received = await untilDelivered(orderIds)

    const expected = eventIdsOf(orderIds)
    expect(expected).toHaveLength(200)
    expectSameIds(received, expected)
    const messages = messagesOf(orderIds)
    for (const message of messages) {
      expect(message.topic).toBe(topic('created'))
      expect(message.key).toBe(message.envelope.aggregateId)
      expect(message.headers).toEqual({ eventId: message.envelope.eventId, eventType: 'order.created' })
    }
    expect(new Set(messages.map((m) => m.partition)).size).toBe(3)
    // the app's own consumer group (marketplace-notifications) stored one notification per event
    const ids = orderIds.join(',')
    await waitUntil(
      () =>
        (sql().query(`select count(*) as n from notifications where order_id in (${ids})`).get() as any).n ===
        200,
      15_000,
      () => 'the notification consumer has not stored 200 notifications',
    )
    expect(await counterValue(t, 'marketplace_outbox_published_total')).toBeGreaterThanOrEqual(200)
  }, 60_000)

  test("an order's events arrive in order: created first, then each status change as it happened", async () => {
    const productId = await freshProduct(t, tokens.seller, 10_000)
    const flows = [
      ['CONFIRMED', 'SHIPPED', 'DELIVERED'],
      ['CANCELLED'],
      ['CONFIRMED', 'CANCELLED'],
      ['CONFIRMED', 'SHIPPED'],
    ]
    const orderIds = await placeOrders(200, productId)
    const flowOf = (orderId: number) => flows[orderId % flows.length]!
    // every order walks its flow, 16 orders at a time, so different orders' events interleave
    await inParallel(orderIds, 16, async (orderId) => {
      for (const status of flowOf(orderId)) {
        // the buyer pays (the only way to CONFIRMED) or cancels; the seller moves its part on
        const res =
          status === 'CANCELLED'
            ? await api(server.baseUrl, 'POST', `/api/v1/orders/${orderId}/cancel`, { token: tokens.buyer })
            : status === 'CONFIRMED'
              ? await api(server.baseUrl, 'POST', `/api/v1/orders/${orderId}/payment`, {
                  token: tokens.buyer,
                })
              : await api(server.baseUrl, 'PATCH', `/api/v1/sellers/orders/${orderId}/status`, {
                  token: tokens.seller,
                  body: { status },
                })
        expect(res.status, res.text).toBe(200)
      }
    })

    await untilDelivered(orderIds)

    const byOrder = Map.groupBy(firstDeliveries(messagesOf(orderIds)), (m) => Number(m.envelope.aggregateId))
    for (const orderId of orderIds) {
      const seen = byOrder
        .get(orderId)!
        .map((m) => (m.envelope.eventType === 'order.created' ? 'created' : m.envelope.payload.to))
      expect(seen, `order ${orderId}`).toEqual(['created', ...flowOf(orderId)])
      expect(new Set(byOrder.get(orderId)!.map((m) => m.partition)).size, `order ${orderId}`).toBe(1)
    }
  }, 60_000)

  test('an event sent again (a relay killed after the ack, before marking) reaches Kafka twice and is notified once', async () => {
    const productId = await freshProduct(t, tokens.seller, 10)
    const [orderId] = await placeOrders(1, productId)
    await untilDelivered([orderId!])
    const [eventId] = eventIdsOf([orderId!])
    const notified = () =>
      (
        sql().query('select count(*) as n from notifications where event_id = ?').get(eventId!) as {
          n: number
        }
      ).n
    await waitUntil(
      () => notified() === 1,
      15_000,
      () => 'the first delivery was not notified',
    )

    sql()
      .query("update outbox_events set status = 'PENDING', published_at = null where event_id = ?")
      .run(eventId!)
    await waitUntil(
      () => messagesOf([orderId!]).length === 2,
      15_000,
      () => `${messagesOf([orderId!]).length} copies at the consumer`,
    )
    // the notification consumer has processed the copy once its group's lag is back to 0
    const lag = () => counterValue(t, 'marketplace_kafka_consumer_lag', `{topic="${topic('created')}"}`)
    await Bun.sleep(5_000) // the lag gauge is refreshed at most every 5 s
    await waitUntil(
      async () => (await lag()) === 0,
      15_000,
      () => 'the copy was not consumed',
    )

    expect(notified()).toBe(1)
    expect(
      (sql().query('select count(*) as n from inbox_events where event_id = ?').get(eventId!) as any).n,
    ).toBe(1)
  }, 60_000)

  test('a poison event ends DEAD without holding back other orders; re-driven after a fix, it is published', async () => {
    const productId = await freshProduct(t, tokens.seller, 10_000)
    const before = await placeOrders(5, productId)
    const poisonId = insertPoisonEvent(sql(), 999_100)
    const after = await placeOrders(5, productId)

    await waitUntil(
      () => statusOf(poisonId) === 'DEAD',
      15_000,
      () => `poison row is ${statusOf(poisonId)}`,
    )
    await untilDelivered([...before, ...after])
    const dead = await t.request('GET', '/api/v1/admin/outbox/dead', { token: tokens.admin })
    expect(
      dead.body.items.map((item: { id: number }) => item.id),
      dead.text,
    ).toContain(poisonId)

    sql()
      .query(
        `update outbox_events set event_type = 'order.created',
           payload = json_set(payload, '$.eventType', 'order.created') where id = ?`,
      )
      .run(poisonId)
    const redrive = await t.request('POST', `/api/v1/admin/outbox/${poisonId}/redrive`, {
      token: tokens.admin,
    })
    expect(redrive.status, redrive.text).toBe(200)
    await untilDelivered([999_100])
    expect(statusOf(poisonId)).toBe('PUBLISHED')
  }, 60_000)

  test('an event the broker refuses (2 MiB, over its message size limit) is isolated: it ends DEAD, the others go', async () => {
    const productId = await freshProduct(t, tokens.seller, 10_000)
    const before = await placeOrders(10, productId)
    const hugeId = insertPoisonEvent(sql(), 999_200, 'order.created')
    sql()
      .query("update outbox_events set payload = json_set(payload, '$.payload.padding', ?) where id = ?")
      .run('x'.repeat(2 * 1024 * 1024), hugeId)
    const after = await placeOrders(10, productId)

    await waitUntil(
      () => statusOf(hugeId) === 'DEAD',
      20_000,
      () => `huge row is ${statusOf(hugeId)}`,
    )
    await untilDelivered([...before, ...after])

    const row = sql().query('select attempts, last_error from outbox_events where id = ?').get(hugeId) as any
    expect(row.attempts).toBe(3)
    expect(row.last_error).toMatch(/too large|larger than/i)
    expect(messagesOf([999_200])).toEqual([])
  }, 60_000)

  test('health probes the broker; the consumer lag per topic is exported and drops to 0', async () => {
    const health = await t.request('GET', '/actuator/health', { token: tokens.admin })
    expect(health.body.components.kafka, health.text).toMatchObject({
      status: 'UP',
      details: { mode: 'kafka', brokers: 1 },
    })
    expect(health.body.components.outbox.status, health.text).toBe('UP')

    const lag = (name: string) =>
      counterValue(t, 'marketplace_kafka_consumer_lag', `{topic="${topic(name)}"}`)
    await waitUntil(
      async () => (await lag('created')) === 0,
      15_000,
      () => 'consumer lag did not reach 0',
    )
    const metrics = (await t.request('GET', '/actuator/prometheus')).text
    expect(metrics).toContain(`marketplace_kafka_consumer_lag{topic="${topic('status-changed')}"} 0`)
  }, 30_000)
})

/** Each event once (the first time it was seen), in the order the consumer received them. */
function firstDeliveries(messages: RecordedMessage[]): RecordedMessage[] {
  const seen = new Set<string>()
  return messages.filter((m) => !seen.has(m.envelope.eventId) && seen.add(m.envelope.eventId))
}
