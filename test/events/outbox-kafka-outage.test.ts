/**
 * SPEC §7 "Kafka down: orders keep succeeding; events wait in the outbox and are delivered after recovery", on
 * the real broker: it is stopped for 30 s (scripts/kafka-broker.ts `stop()`) while orders keep coming, then
 * started again on the same address; and frozen (SIGSTOP: connections open, no answers), where only the
 * publisher's own deadline on each send ends a send. The broker is shared by every test file: whatever happens,
 * it runs and answers again before this file ends.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { KafkaBroker } from '../../scripts/kafka-broker'
import { localFileOf } from '../../src/platform/db/connections'
import { kafkaTestEnv, useTestApp } from '../support/harness'
import { counterValue, freshProduct } from '../support/order-fixtures'
import {
  deleteKafkaTestTopics,
  expectSameIds,
  recordKafkaMessages,
  waitUntil,
} from '../support/outbox-fixtures'
import { api, inParallel, orderBody } from '../support/server-process'
import { SERVICE_START_TIMEOUT_MS, useKafkaBroker } from '../support/services'

const OUTAGE_MS = 30_000

let broker: KafkaBroker
beforeAll(async () => {
  broker = await useKafkaBroker()
}, SERVICE_START_TIMEOUT_MS)
// Declared before the app's hooks, so it runs before they close the app (hooks run in declaration order):
// whatever happened, the app closes against a broker that answers, and so do the files after this one.
afterAll(async () => {
  broker?.freeze(false)
  await broker?.start() // no-op when it runs
}, 90_000)

const { t, tokens, server, env } = useTestApp(
  async () => ({
    ...(await kafkaTestEnv('outbox-outage')),
    OUTBOX_POLL_INTERVAL_MS: '50',
    KAFKA_SEND_TIMEOUT_MS: '2000',
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
const count = (query: string) => (sql().query(query).get() as { n: number }).n
const gauge = (name: string) => counterValue(t, name)
const healthOf = async () => (await t.request('GET', '/actuator/health', { token: tokens.admin })).body

async function placeOrders(n: number, productId: number) {
  return inParallel(Array.from({ length: n }), 8, () =>
    api(server.baseUrl, 'POST', '/api/v1/orders', {
      token: tokens.buyer,
      body: orderBody([{ productId, quantity: 1 }]),
    }),
  )
}

describe('Kafka stopped for 30 s while orders keep coming', () => {
  test('every order answers 201, the backlog grows, and after the broker returns every event is delivered', async () => {
    const productId = await freshProduct(t, tokens.seller, 100_000)
    const warmUp = await placeOrders(5, productId)
    await waitUntil(
      () => recorder.messages.length >= 5,
      20_000,
      () => 'the warm-up orders did not arrive',
    )

    await broker.stop()
    const stoppedAt = Date.now()
    const responses = []
    const backlog: number[] = []
    try {
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        responses.push(...(await placeOrders(10, productId)))
        backlog.push(await gauge('marketplace_outbox_pending'))
        await Bun.sleep(500)
      }
      const health = await healthOf()
      expect(health.components.kafka.status, JSON.stringify(health)).toBe('DOWN')
      expect((await t.request('GET', '/actuator/health/readiness')).status).toBe(200)
    } finally {
      await broker.start()
    }
    const restartedAt = Date.now()

    expect(responses.filter((res) => res.status !== 201).map((res) => res.text)).toEqual([])
    expect(responses.length).toBeGreaterThan(200)
    expect(backlog.at(-1)!).toBeGreaterThanOrEqual(responses.length - 10)
    expect(backlog.at(-1)!).toBeGreaterThan(backlog[0]!)
    // the outage spent no event's attempts: nothing was isolated, nothing is DEAD
    expect(count("select count(*) as n from outbox_events where attempts > 0 or status = 'DEAD'")).toBe(0)
    expect(
      await counterValue(t, 'marketplace_outbox_failed_total', '{reason="unavailable"}'),
    ).toBeGreaterThan(0)

    const expected = (sql().query('select event_id from outbox_events').all() as { event_id: string }[]).map(
      (row) => row.event_id,
    )
    const received = () => recorder.distinctEventIds()
    await waitUntil(
      () => received().size >= expected.length,
      60_000,
      () => `${received().size} of ${expected.length} events delivered`,
    )
    expectSameIds(received(), expected)
    expect(expected.length).toBe(warmUp.length + responses.length)
    expect(await gauge('marketplace_outbox_pending')).toBe(0)
    // the app's own consumer came back too: one notification per event
    await waitUntil(
      () => count('select count(*) as n from notifications') === expected.length,
      60_000,
      () => `${count('select count(*) as n from notifications')} of ${expected.length} notifications stored`,
    )
    console.error(
      `outage: ${responses.length} orders in ${OUTAGE_MS / 1000} s, backlog peak ${backlog.at(-1)}, ` +
        `delivered ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the broker answered again`,
    )
  }, 180_000)
})

describe('Kafka frozen (SIGSTOP) for 10 s: it accepts connections and answers nothing', () => {
  test('a send gives up at KAFKA_SEND_TIMEOUT_MS, orders keep answering 201, every event arrives after SIGCONT', async () => {
    const productId = await freshProduct(t, tokens.seller, 100_000)
    const unavailable = () => counterValue(t, 'marketplace_outbox_failed_total', '{reason="unavailable"}')
    const failedBefore = await unavailable()

    broker.freeze(true)
    const frozenAt = Date.now()
    const responses = []
    let firstFailureAfterMs: number | undefined
    try {
      while (Date.now() - frozenAt < 10_000) {
        responses.push(...(await placeOrders(5, productId)))
        if (firstFailureAfterMs === undefined && (await unavailable()) > failedBefore) {
          firstFailureAfterMs = Date.now() - frozenAt
        }
        await Bun.sleep(250)
      }
      const health = await healthOf()
      expect(health.components.kafka.status, JSON.stringify(health)).toBe('DOWN')
    } finally {
      broker.freeze(false)
    }

    expect(responses.filter((res) => res.status !== 201).map((res) => res.text)).toEqual([])
    // the 2 s deadline (KAFKA_SEND_TIMEOUT_MS), plus a poll and a scrape
    expect(firstFailureAfterMs, 'no send gave up while the broker was frozen').toBeDefined()
    expect(firstFailureAfterMs!).toBeLessThan(4_000)
    const expected = (sql().query('select event_id from outbox_events').all() as { event_id: string }[]).map(
      (row) => row.event_id,
    )
    await waitUntil(
      () => recorder.distinctEventIds().size >= expected.length,
      60_000,
      () => `${recorder.distinctEventIds().size} of ${expected.length} events delivered`,
    )
    expectSameIds(recorder.distinctEventIds(), expected)
    expect(count("select count(*) as n from outbox_events where status <> 'PUBLISHED'")).toBe(0)
  }, 120_000)
})
