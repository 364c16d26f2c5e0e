/**
 * A server process (src/main.ts, real Kafka) killed with SIGKILL in the middle of relaying a backlog while orders
 * keep coming, then started again on the same database file: nothing committed is lost. Events the dead process
 * had sent but not yet marked are sent again (duplicates at the transport are allowed); after the notification
 * consumer's inbox there are none.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { kafkaTestEnv } from '../support/harness'
import {
  deleteKafkaTestTopics,
  expectSameIds,
  openOutboxReader,
  recordKafkaMessages,
  waitUntil,
} from '../support/outbox-fixtures'
import {
  api,
  createBuyers,
  createProduct,
  inParallel,
  loginDemoSeller,
  orderBody,
} from '../support/server-process'
import { useSharedFileServers } from '../support/shared-file-servers'

const BACKLOG_ORDERS = 3_000

// small batches and a short lease: the kill lands mid-backlog, and the rows it held are free soon after
const { databaseFile, env, start } = useSharedFileServers({
  name: 'outbox-crash',
  env: async () => ({
    ...(await kafkaTestEnv('outbox-crash')),
    OUTBOX_BATCH_SIZE: '10',
    OUTBOX_POLL_INTERVAL_MS: '20',
    OUTBOX_LEASE_MS: '2000',
    KAFKA_SEND_TIMEOUT_MS: '1500',
  }),
  processes: 0,
  isCleanExitExpected: false, // one is killed on purpose
})
let recorder: Awaited<ReturnType<typeof recordKafkaMessages>>

beforeAll(async () => {
  recorder = await recordKafkaMessages(env.KAFKA_BROKERS!, env.KAFKA_TOPIC_PREFIX!)
}, 60_000)
afterAll(async () => {
  await recorder?.stop()
  if (env.KAFKA_BROKERS) await deleteKafkaTestTopics(env.KAFKA_BROKERS, env.KAFKA_TOPIC_PREFIX!)
}, 60_000)

function placeOrders(baseUrl: string, tokens: string[], productId: number, count: number) {
  return inParallel(Array.from({ length: count }), 16, (_, i) =>
    api(baseUrl, 'POST', '/api/v1/orders', {
      token: tokens[i % tokens.length],
      body: orderBody([{ productId, quantity: 1 }]),
    }),
  )
}

describe('a server killed with SIGKILL mid-relay, restarted on the same database', () => {
  test('zero events lost; duplicates only at the transport, none after the inbox', async () => {
    // a backlog built with the relay off, so that the next process is surely mid-relay when killed
    const builder = await start({ OUTBOX_RELAY_ENABLED: 'false' }) // the first: it seeds the demo data
    const sellerToken = await loginDemoSeller(builder.baseUrl)
    const buyers = await createBuyers(builder.baseUrl, 8, 'crash')
    const product = await createProduct(builder.baseUrl, sellerToken, {
      name: 'Crash',
      price: 1_000,
      stockQuantity: 1_000_000,
    })
    const backlog = await placeOrders(builder.baseUrl, buyers, product.id, BACKLOG_ORDERS)
    expect(backlog.filter((res) => res.status !== 201)).toHaveLength(0)
    expect(await builder.stop()).toBe(0)

    const reader = openOutboxReader(databaseFile)
    const published = () => reader.byStatus().PUBLISHED ?? 0
    const victim = await start()
    const during = placeOrders(victim.baseUrl, buyers, product.id, 500) // orders keep coming while it relays
    await waitUntil(
      () => published() >= 300,
      30_000,
      () => `${published()} published`,
    )
    await victim.kill()
    const publishedAtKill = published()
    const answeredDuring = await during
    expect(publishedAtKill).toBeLessThan(BACKLOG_ORDERS)

    const survivor = await start()
    const after = await placeOrders(survivor.baseUrl, buyers, product.id, 100)
    expect(after.filter((res) => res.status !== 201)).toHaveLength(0)
    await waitUntil(
      () => (reader.byStatus().PENDING ?? 0) === 0,
      60_000,
      () => JSON.stringify(reader.byStatus()),
    )

    // every committed order's event, whatever its request's answer, and nothing else
    const expected = reader.orderEventIds()
    const orders = reader.count('select count(*) as n from orders')
    expect(expected).toHaveLength(orders)
    await waitUntil(
      () => recorder.distinctEventIds().size >= expected.length,
      60_000,
      () => `${recorder.distinctEventIds().size} of ${expected.length} events at the consumer`,
    )
    expectSameIds(recorder.distinctEventIds(), expected)
    await waitUntil(
      () => reader.count('select count(*) as n from notifications') >= expected.length,
      60_000,
      () => `${reader.count('select count(*) as n from notifications')} of ${expected.length} notifications`,
    )
    expect(reader.count('select count(*) as n from notifications')).toBe(expected.length)
    expect(reader.count('select count(distinct event_id) as n from notifications')).toBe(expected.length)
    expect(reader.count("select count(*) as n from inbox_events where consumer = 'notifications'")).toBe(
      expected.length,
    )
    const duplicates = recorder.messages.length - recorder.distinctEventIds().size
    console.error(
      `crash: ${orders} orders (${answeredDuring.filter((r) => r.status === 201).length} of 500 answered 201 ` +
        `around the kill), killed at ${publishedAtKill} published, ${duplicates} duplicate(s) at the transport, ` +
        '0 after the inbox',
    )
    reader.close()
  }, 180_000)
})
