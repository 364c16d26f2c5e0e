/**
 * The typed event contract (modules/orders/orders.events.ts, platform/events/contract.ts): every event the order
 * service writes matches the schema its consumers check against, and the notification consumer dead-letters
 * what does not (not JSON, not an envelope, an unknown type, a payload off its schema) with the reason, once per
 * event, while the rest of its batch is notified.
 */
import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { NotificationConsumer } from '../../src/modules/notifications/notifications.consumer'
import { localNotificationStorage } from '../../src/modules/notifications/notifications.repository'
import { localFileOf } from '../../src/platform/db/connections'
import { EventDecoder, EventTopics } from '../../src/platform/events/contract'
import { useTestApp } from '../support/harness'
import {
  cancelOrder,
  changeStatus,
  counterValue,
  freshProduct,
  payOrder,
  placeOrder,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })

const sql = () => localFileOf(t.deps.database).sqlite

function envelope(eventType: string, payload: unknown) {
  return {
    eventId: randomUUID(),
    eventType,
    aggregateType: 'Order',
    aggregateId: '1',
    occurredAt: new Date().toISOString(),
    version: 1,
    payload,
  }
}

const validCreated = (orderId: number) =>
  envelope('order.created', {
    orderId,
    orderNumber: 'ABCDEF0123456789',
    buyerId: 3,
    totalAmount: 10,
    items: [{ productId: 1, sellerId: 2, quantity: 1 }],
  })

const topic = 'marketplace.order.created'
const delivered = (value: unknown) => ({
  topic,
  key: '1',
  value: typeof value === 'string' ? value : JSON.stringify(value),
})

describe('the order events contract', () => {
  test('every outbox row the order service writes (placed, confirmed, shipped, cancelled) passes the decoder', async () => {
    const mine = await freshProduct(t, tokens.seller, 10)
    const theirs = await freshProduct(t, tokens.otherSeller, 10)
    const shipped = await placeOrder(t, tokens.buyer, [
      { productId: mine, quantity: 1 },
      { productId: theirs, quantity: 1 },
    ])
    const cancelled = await placeOrder(t, tokens.buyer, [{ productId: mine, quantity: 2 }])
    await payOrder(t, tokens.buyer, shipped.id)
    expect((await changeStatus(t, tokens.seller, shipped.id, 'SHIPPED')).status).toBe(200)
    expect((await cancelOrder(t, tokens.buyer, cancelled.id)).status).toBe(200)
    const decoder = new EventDecoder(EVENT_CATALOG)

    const rows = sql().query('select event_type, payload from outbox_events').all() as {
      event_type: string
      payload: string
    }[]

    expect(new Set(rows.map((row) => row.event_type))).toEqual(new Set(Object.keys(EVENT_CATALOG)))
    for (const row of rows) expect(decoder.decode(row.payload), row.payload).toMatchObject({ ok: true })
  })

  test('topics come from the contract, with the configured prefix', () => {
    const topics = new EventTopics(EVENT_CATALOG, 'staging.')

    expect(topics.topicOf('order.created')).toBe('staging.marketplace.order.created')
    expect(topics.topicOf('order.status-changed')).toBe('staging.marketplace.order.status-changed')
    expect(topics.topicOf('constructor')).toBeUndefined()
    expect(topics.all()).toHaveLength(2)
  })
})

describe('NotificationConsumer: events that do not match the contract', () => {
  test('are dead-lettered with the reason, once each, and the valid events of the batch are notified', async () => {
    const metrics = t.deps.events.metrics
    const consumer = new NotificationConsumer(
      localNotificationStorage(localFileOf(t.deps.database)),
      t.deps.logger,
      metrics,
    )
    const before = await counterValue(
      t,
      'marketplace_consumer_dead_letters_total',
      '{consumer="notifications"}',
    )
    const good = validCreated(424_242)
    const { orderId: _, ...withoutOrderId } = validCreated(1).payload as Record<string, unknown>
    const badPayload = envelope('order.created', withoutOrderId)
    const unknownType = envelope('order.teleported', { orderId: 1 })
    const batch = [
      delivered('{"not json'),
      delivered({ hello: 'world' }),
      delivered(badPayload),
      delivered(unknownType),
      delivered(good),
    ]

    await consumer.handle(batch)
    await consumer.handle(batch) // redelivered: nothing new

    const letters = sql()
      .query('select event_id, topic, reason from consumer_dead_letters order by id')
      .all() as { event_id: string | null; topic: string; reason: string }[]
    expect(letters.map((l) => l.reason)).toEqual([
      'not JSON',
      expect.stringContaining('not an event envelope'),
      expect.stringMatching(/^order\.created payload: .*orderId/),
      'unknown event type order.teleported',
      // the two letters without an event id are stored again on redelivery (nothing identifies them)
      'not JSON',
      expect.stringContaining('not an event envelope'),
    ])
    expect(letters.filter((l) => l.event_id === badPayload.eventId)).toHaveLength(1)
    const notified = sql().query('select count(*) as n from notifications where order_id = 424242').get() as {
      n: number
    }
    expect(notified.n).toBe(1)
    expect(
      await counterValue(t, 'marketplace_consumer_dead_letters_total', '{consumer="notifications"}'),
    ).toBe(before + 6)
  })
})
