/**
 * The relay's decisions (src/platform/events/outbox-relay.ts) on a real SQLite file with the in-process bus as its
 * transport: an order's events go out one acknowledged round after another; an event refused by its consumer is
 * isolated and the rest of its batch goes; a later event of the refused event's order is held back with it; an
 * unroutable event type fails unsent; stop() lets the batch in progress finish and records it. The same
 * decisions against a real broker: test/events/outbox-kafka.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database'
import { EventTopics } from '../../src/platform/events/contract'
import { createEventMetrics } from '../../src/platform/events/event-metrics'
import type { DeliveredEvent } from '../../src/platform/events/event-publisher'
import { InProcessEventBus } from '../../src/platform/events/in-process-event-bus'
import { appendOutboxEvent } from '../../src/platform/events/outbox'
import { OutboxRelay } from '../../src/platform/events/outbox-relay'
import { OutboxStore } from '../../src/platform/events/outbox-store'
import { createLogger } from '../../src/platform/observability/logger'
import { insertPoisonEvent } from '../support/outbox-fixtures'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-outbox-relay-'))
const opened: DatabaseHandle[] = []
afterAll(() => {
  for (const database of opened) database.close()
  rmSync(dir, { recursive: true, force: true })
})

const TOPICS = ['marketplace.order.created', 'marketplace.order.status-changed']

/** A relay on a fresh file whose bus hands every batch to `consume`; events of `orderIds`, in that order. */
async function relayWith(
  name: string,
  orderIds: number[],
  consume: (events: readonly DeliveredEvent[]) => unknown,
) {
  const database = openDatabase(join(dir, `${name}.db`))
  opened.push(database)
  database.writeTransaction((tx) => {
    for (const [i, orderId] of orderIds.entries()) {
      // an order's first event is its creation, any later one a status change
      const eventType = orderIds.indexOf(orderId) === i ? 'order.created' : 'order.status-changed'
      appendOutboxEvent(tx, {
        eventType,
        aggregateType: 'Order',
        aggregateId: String(orderId),
        payload: { orderId },
      })
    }
  })
  const bus = new InProcessEventBus()
  await bus.subscribe('test', TOPICS, async (events) => {
    await consume(events)
  })
  const settings = {
    owner: `relay-${name}`,
    isRelayEnabled: true,
    maxPendingAgeSeconds: 60,
    pollIntervalMs: 10,
    batchSize: 100,
    leaseMs: 30_000,
    maxAttempts: 5,
    retryBaseMs: 60_000,
    retentionHours: 168,
    inboxRetentionHours: 192,
    topics: new EventTopics(EVENT_CATALOG),
  }
  const metrics = createEventMetrics(new Registry()).outbox
  const relay = new OutboxRelay(new OutboxStore(database), bus, settings, metrics, createLogger('silent'))
  const rows = () =>
    database.sqlite
      .query('select aggregate_id as orderId, status, attempts from outbox_events order by id')
      .all()
  return { relay, rows, database }
}

const orderOf = (event: DeliveredEvent) => JSON.parse(event.value).aggregateId as string

describe('OutboxRelay', () => {
  test("an order's next event is published only after its previous one was acknowledged, never with it", async () => {
    const publishes: string[][] = []
    const { relay, rows } = await relayWith('rounds', [1, 1, 2, 1, 3], (events) => {
      publishes.push(events.map((event) => `${orderOf(event)}:${JSON.parse(event.value).eventType}`))
    })

    await relay.relayBatch()

    expect(publishes).toEqual([
      ['1:order.created', '2:order.created', '3:order.created'],
      ['1:order.status-changed'],
      ['1:order.status-changed'],
    ])
    expect(rows().every((row: any) => row.status === 'PUBLISHED')).toBe(true)
  })

  test('an event its consumer refuses is isolated: it spends an attempt, the rest of the batch is published', async () => {
    const delivered: string[] = []
    const { relay, rows } = await relayWith('isolation', [1, 2, 3, 4], (events) => {
      if (events.some((event) => orderOf(event) === '3')) throw new Error('cannot take order 3')
      delivered.push(...events.map(orderOf))
    })

    const outcome = await relay.relayBatch()

    expect(outcome).toEqual({ claimed: 4, published: 3, failed: 1, isBrokerDown: false })
    expect(delivered).toEqual(['1', '2', '4'])
    expect(rows()).toEqual([
      { orderId: '1', status: 'PUBLISHED', attempts: 0 },
      { orderId: '2', status: 'PUBLISHED', attempts: 0 },
      { orderId: '3', status: 'PENDING', attempts: 1 },
      { orderId: '4', status: 'PUBLISHED', attempts: 0 },
    ])
  })

  test("a later event of the refused event's order is held back with it, unsent and with no attempt spent", async () => {
    const delivered: string[] = []
    // order 5: created, then status-changed; order 6 in between
    const { relay, rows } = await relayWith('held', [5, 6, 5], (events) => {
      const first = events[0]!
      if (orderOf(first) === '5' && JSON.parse(first.value).eventType === 'order.created')
        throw new Error('refused')
      delivered.push(...events.map(orderOf))
    })

    await relay.relayBatch()

    expect(delivered).toEqual(['6'])
    expect(rows()).toEqual([
      { orderId: '5', status: 'PENDING', attempts: 1 },
      { orderId: '6', status: 'PUBLISHED', attempts: 0 },
      { orderId: '5', status: 'PENDING', attempts: 0 },
    ])
    // the held event is not claimable while the first one waits to retry
    expect((await relay.relayBatch()).claimed).toBe(0)
  })

  test('an event type without a topic fails unsent, even one named like an Object property', async () => {
    const delivered: string[] = []
    const { relay, rows, database } = await relayWith('unroutable', [1], (events) => {
      delivered.push(...events.map(orderOf))
    })
    insertPoisonEvent(database.sqlite, 2, 'constructor')

    await relay.relayBatch()

    expect(delivered).toEqual(['1'])
    expect(rows()).toEqual([
      { orderId: '1', status: 'PUBLISHED', attempts: 0 },
      { orderId: '2', status: 'PENDING', attempts: 1 },
    ])
  })

  test('stop() lets the batch in progress finish and records its outcome before resolving', async () => {
    let releaseConsumer: () => void = () => {}
    const isConsuming = Promise.withResolvers<void>()
    const { relay, rows } = await relayWith('stop', [1, 2], async () => {
      isConsuming.resolve()
      await new Promise<void>((resolve) => {
        releaseConsumer = resolve
      })
    })
    relay.start()
    await isConsuming.promise

    const stopped = relay.stop()
    let hasStopped = false
    void stopped.then(() => {
      hasStopped = true
    })
    await Bun.sleep(50)
    expect(hasStopped).toBe(false)
    releaseConsumer()
    await stopped

    expect(relay.state).toBe('stopped')
    expect(rows()).toEqual([
      { orderId: '1', status: 'PUBLISHED', attempts: 0 },
      { orderId: '2', status: 'PUBLISHED', attempts: 0 },
    ])
  })
})
