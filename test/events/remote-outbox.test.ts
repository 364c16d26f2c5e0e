/**
 * The outbox relay over a libSQL server (src/platform/events/remote-outbox-store.ts) against a real sqld: two
 * relays of two instances on one primary publish every row exactly once, each order's events in order; an event
 * nobody routes spends its attempts and ends DEAD without holding the others back; the backlog reads the server.
 * And the notification consumer's remote storage: one batch per delivery, deduplicated, dead letters once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { NotificationConsumer } from '../../src/modules/notifications/notifications.consumer'
import { remoteNotificationStorage } from '../../src/modules/notifications/notifications.repository'
import { openRemoteDatabase, type RemoteDatabaseHandle } from '../../src/platform/db/remote-database'
import { EventTopics } from '../../src/platform/events/contract'
import { createEventMetrics } from '../../src/platform/events/event-metrics'
import { InProcessEventBus } from '../../src/platform/events/in-process-event-bus'
import { envelopeOf } from '../../src/platform/events/outbox'
import { OutboxRelay } from '../../src/platform/events/outbox-relay'
import { RemoteOutboxStore } from '../../src/platform/events/remote-outbox-store'
import { createLogger } from '../../src/platform/observability/logger'
import { useFreshSqld } from '../support/services'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-remote-outbox-'))
const fresh = useFreshSqld()
const opened: RemoteDatabaseHandle[] = []
const open = async () => {
  const handle = await openRemoteDatabase({ url: fresh.primary.url, authToken: undefined, timeoutMs: 5_000 })
  opened.push(handle)
  return handle
}

beforeAll(async () => {}, 30_000)
afterAll(async () => {
  for (const handle of opened) handle.close()
  rmSync(dir, { recursive: true, force: true })
}, 15_000)

/** Appends one event per order id through plain batches of inserts (as order batches write them). */
async function appendEvents(handle: RemoteDatabaseHandle, orderIds: number[], eventType = 'order.created') {
  for (let start = 0; start < orderIds.length; start += 500) {
    const now = new Date()
    const statements = orderIds.slice(start, start + 500).map((orderId) => {
      const envelope = envelopeOf(
        { eventType, aggregateType: 'Order', aggregateId: String(orderId), payload: { orderId, buyerId: 3 } },
        now,
      )
      return {
        sql: `insert into outbox_events (event_id, aggregate_type, aggregate_id, event_type, payload, created_at)
              values (?, 'Order', ?, ?, ?, ?)`,
        args: [envelope.eventId, String(orderId), eventType, JSON.stringify(envelope), now.getTime()],
      }
    })
    await handle.client.batch(statements, 'write')
  }
}

function relayOf(handle: RemoteDatabaseHandle, owner: string, bus: InProcessEventBus) {
  const settings = {
    ...loadConfig({}).outbox,
    owner,
    batchSize: 50,
    maxAttempts: 2,
    retryBaseMs: 10,
    topics: new EventTopics(EVENT_CATALOG),
  }
  const metrics = createEventMetrics(new Registry()).outbox
  return new OutboxRelay(new RemoteOutboxStore(handle.client), bus, settings, metrics, createLogger('silent'))
}

describe('outbox relay on a remote primary', () => {
  test("two relays of two instances publish every row exactly once, each order's events in order", async () => {
    const [writer, other] = [await open(), await open()]
    await appendEvents(
      writer!,
      Array.from({ length: 1_500 }, (_, i) => (i % 500) + 1),
    )
    const delivered: { relay: string; eventId: string; orderId: string }[] = []
    const relayOn = (handle: RemoteDatabaseHandle, owner: string) => {
      const bus = new InProcessEventBus()
      void bus.subscribe('recorder', ['marketplace.order.created'], async (events) => {
        await Bun.sleep(1) // the other relay claims while this one publishes
        for (const event of events) {
          const envelope = JSON.parse(event.value)
          delivered.push({ relay: owner, eventId: envelope.eventId, orderId: envelope.aggregateId })
        }
      })
      return relayOf(handle, owner, bus)
    }
    const [a, b] = [relayOn(writer!, 'relay-a'), relayOn(other!, 'relay-b')]

    await Promise.all([a.drain(), b.drain()])

    const eventIds = delivered.map((d) => d.eventId)
    expect(eventIds.length).toBe(1_500)
    expect(new Set(eventIds).size).toBe(1_500)
    expect(new Set(delivered.map((d) => d.relay))).toEqual(new Set(['relay-a', 'relay-b']))
    expect(await a.backlog()).toMatchObject({ pending: 0, dead: 0 })
    const ids = await writer!.client.execute('select id, event_id from outbox_events')
    const rowIdOf = new Map(ids.rows.map((row) => [String(row.event_id), Number(row.id)]))
    for (const events of Map.groupBy(delivered, (d) => d.orderId).values()) {
      const order = events.map((d) => rowIdOf.get(d.eventId)!)
      expect(order).toEqual(order.toSorted((x, y) => x - y))
    }
  }, 60_000)

  test('an event nobody routes spends its attempts and ends DEAD; the rest are published', async () => {
    const handle = await open()
    await appendEvents(handle, [9001], 'order.teleported')
    await appendEvents(handle, [9002, 9003])
    const relay = relayOf(handle, 'relay-c', new InProcessEventBus())

    await relay.drain()
    await Bun.sleep(30) // past the retry delay of the failed row
    await relay.drain()

    const rows = await handle.client.execute(
      "select aggregate_id, status, attempts from outbox_events where aggregate_id in ('9001', '9002', '9003') order by id",
    )
    expect(rows.rows.map((r) => [r.aggregate_id, r.status, Number(r.attempts)])).toEqual([
      ['9001', 'DEAD', 2],
      ['9002', 'PUBLISHED', 0],
      ['9003', 'PUBLISHED', 0],
    ])
    expect(await relay.backlog()).toMatchObject({ pending: 0, dead: 1 })
  })
})

describe('notification consumer on a remote primary', () => {
  test('a batch is recorded whole: new events notified once, redeliveries not again, bad ones dead-lettered once', async () => {
    const handle = await open()
    const sent: string[] = []
    const consumer = new NotificationConsumer(
      remoteNotificationStorage(handle.client),
      {
        ...createLogger('silent'),
        info: (fields: { notification: { eventId: string } }) => void sent.push(fields.notification.eventId),
      } as never,
      createEventMetrics(new Registry()),
    )
    const envelopeFor = (orderId: number) =>
      envelopeOf(
        {
          eventType: 'order.created',
          aggregateType: 'Order',
          aggregateId: String(orderId),
          payload: {
            orderId,
            orderNumber: 'ABCDEF0123456789',
            buyerId: 3,
            totalAmount: 1,
            items: [{ productId: 1, sellerId: 2, quantity: 1 }],
          },
        },
        new Date(),
      )
    const [first, second] = [envelopeFor(7001), envelopeFor(7002)]
    const delivered = (value: unknown) => ({
      topic: 'marketplace.order.created',
      key: '1',
      value: JSON.stringify(value),
    })
    const bad = { ...envelopeFor(7003), payload: { orderId: 7003 } }
    const batch = [delivered(first), delivered(first), delivered(second), delivered(bad)]

    await consumer.handle(batch)
    await consumer.handle(batch) // redelivered

    expect(sent.sort()).toEqual([first.eventId, second.eventId].sort())
    const count = async (table: string) =>
      Number((await handle.client.execute(`select count(*) as n from ${table}`)).rows[0]!.n)
    expect(await count('notifications')).toBe(2)
    expect(await count('inbox_events')).toBe(2)
    const letters = await handle.client.execute('select event_id, reason from consumer_dead_letters')
    expect(letters.rows.map((r) => [r.event_id, String(r.reason).split(':')[0]])).toEqual([
      [bad.eventId, 'order.created payload'],
    ])
  })
})
