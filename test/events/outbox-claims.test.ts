/**
 * The relay's claim, on a real SQLite file (src/platform/events/outbox-store.ts): leases, retry delays, per-aggregate
 * order, fencing, dead letters, retention; and two relays on two connections to one file (as two processes
 * would be) publishing every row exactly once.
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
import { InProcessEventBus } from '../../src/platform/events/in-process-event-bus'
import { appendOutboxEvent } from '../../src/platform/events/outbox'
import { OutboxRelay } from '../../src/platform/events/outbox-relay'
import { CLAIM_CANDIDATES_SQL, OutboxStore } from '../../src/platform/events/outbox-store'
import { createLogger } from '../../src/platform/observability/logger'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-outbox-claims-'))
const opened: DatabaseHandle[] = []
afterAll(() => {
  for (const database of opened) database.close()
  rmSync(dir, { recursive: true, force: true })
})

const LEASE_MS = 30_000
const NOW = Date.parse('2026-11-26T10:00:00.000Z')
const RETRY = { maxAttempts: 3, retryBaseMs: 1_000 }

function freshDatabase(name: string): DatabaseHandle {
  const database = openDatabase(join(dir, `${name}.db`))
  opened.push(database)
  return database
}

/** Appends one order.created event per order id, in the given order; returns the row ids. */
function appendEvents(database: DatabaseHandle, orderIds: number[]): number[] {
  return database.writeTransaction((tx) =>
    orderIds.map((orderId) => {
      appendOutboxEvent(tx, {
        eventType: 'order.created',
        aggregateType: 'Order',
        aggregateId: String(orderId),
        payload: { orderId, buyerId: 3 },
      })
      return (database.sqlite.query('select last_insert_rowid() as id').get() as { id: number }).id
    }),
  )
}

const rowOf = (database: DatabaseHandle, id: number) =>
  database.sqlite.query('select * from outbox_events where id = ?').get(id) as Record<string, any>

describe('OutboxStore.claim', () => {
  test('leases up to the batch size of PENDING rows, in id order, to the claimer until now + lease', () => {
    const database = freshDatabase('order')
    const ids = appendEvents(database, [1, 2, 3, 4, 5])
    const store = new OutboxStore(database)

    const claimed = store.claim('relay-a', NOW, LEASE_MS, 3)

    expect(claimed.map((row) => row.id)).toEqual(ids.slice(0, 3))
    expect(claimed[0]).toMatchObject({ aggregateId: '1', eventType: 'order.created', attempts: 0 })
    expect(rowOf(database, ids[0]!)).toMatchObject({ lease_owner: 'relay-a', lease_until: NOW + LEASE_MS })
    expect(store.claim('relay-b', NOW, LEASE_MS, 10).map((row) => row.id)).toEqual(ids.slice(3))
  })

  test('a row leased by another relay is skipped until its lease expires, then taken over', () => {
    const database = freshDatabase('lease')
    const [id] = appendEvents(database, [1])
    const store = new OutboxStore(database)
    store.claim('relay-a', NOW, LEASE_MS, 10)

    expect(store.claim('relay-b', NOW + LEASE_MS - 1, LEASE_MS, 10)).toEqual([])
    expect(store.claim('relay-b', NOW + LEASE_MS, LEASE_MS, 10).map((row) => row.id)).toEqual([id!])
    expect(rowOf(database, id!).lease_owner).toBe('relay-b')
  })

  test('a row waiting to retry is skipped with the later events of its order; other orders go', () => {
    const database = freshDatabase('retry')
    const [first, later, other] = appendEvents(database, [7, 7, 8])
    const store = new OutboxStore(database)
    store.claim('relay-a', NOW, LEASE_MS, 1)
    store.settle(
      'relay-a',
      NOW,
      { published: [], failed: [{ id: first!, error: 'refused' }], released: [] },
      RETRY,
    )

    expect(store.claim('relay-a', NOW + 999, LEASE_MS, 10).map((row) => row.id)).toEqual([other!])
    store.settle('relay-a', NOW + 999, { published: [other!], failed: [], released: [] }, RETRY)
    // the retry delay is over: the first event, then (same batch, after it) the later one
    expect(store.claim('relay-a', NOW + 1_000, LEASE_MS, 10).map((row) => row.id)).toEqual([first!, later!])
  })

  test('a later event of an order whose earlier event another relay is publishing is not claimed', () => {
    const database = freshDatabase('in-flight')
    const [first, later, other] = appendEvents(database, [7, 7, 8])
    const store = new OutboxStore(database)
    expect(store.claim('relay-a', NOW, LEASE_MS, 1).map((row) => row.id)).toEqual([first!])

    expect(store.claim('relay-b', NOW, LEASE_MS, 10).map((row) => row.id)).toEqual([other!])
    store.settle('relay-a', NOW, { published: [first!], failed: [], released: [] }, RETRY)
    expect(store.claim('relay-b', NOW, LEASE_MS, 10).map((row) => row.id)).toEqual([later!])
  })

  test('a DEAD row holds back nothing: the later events of its order go', () => {
    const database = freshDatabase('dead')
    const [first, later] = appendEvents(database, [7, 7])
    const store = new OutboxStore(database)
    for (let attempt = 0; attempt < RETRY.maxAttempts; attempt++) {
      const now = NOW + attempt * 10_000
      expect(store.claim('relay-a', now, LEASE_MS, 1).map((row) => row.id)).toEqual([first!])
      store.settle(
        'relay-a',
        now,
        { published: [], failed: [{ id: first!, error: 'refused' }], released: [] },
        RETRY,
      )
    }

    expect(rowOf(database, first!)).toMatchObject({ status: 'DEAD', attempts: 3, last_error: 'refused' })
    expect(store.claim('relay-a', NOW + 40_000, LEASE_MS, 10).map((row) => row.id)).toEqual([later!])
  })

  test('the claim probes idx_outbox_pending and idx_outbox_held, never scans the table', () => {
    const database = freshDatabase('plan')
    appendEvents(database, [1])
    const plan = database.sqlite
      .query(`explain query plan ${CLAIM_CANDIDATES_SQL}`)
      .all({ now: NOW, limit: 10 })
      .map((row) => (row as { detail: string }).detail)
      .join('\n')

    expect(plan).toContain('USING INDEX idx_outbox_pending')
    expect(plan).toContain('USING INDEX idx_outbox_held')
    expect(plan).not.toMatch(/SCAN (outbox_events|o|held)\b(?! USING)/)
  })
})

describe('OutboxStore.settle and retention', () => {
  test('writes are fenced by the lease owner: a relay whose lease was taken over changes nothing', () => {
    const database = freshDatabase('fencing')
    const [id] = appendEvents(database, [1])
    const store = new OutboxStore(database)
    store.claim('relay-a', NOW, LEASE_MS, 10)
    store.claim('relay-b', NOW + LEASE_MS, LEASE_MS, 10)

    const late = store.settle(
      'relay-a',
      NOW + LEASE_MS,
      { published: [id!], failed: [], released: [] },
      RETRY,
    )

    expect(late.published).toBe(0)
    expect(rowOf(database, id!)).toMatchObject({ status: 'PENDING', lease_owner: 'relay-b' })
    expect(
      store.settle('relay-b', NOW + LEASE_MS, { published: [id!], failed: [], released: [] }, RETRY),
    ).toEqual({
      published: 1,
      dead: 0,
    })
    expect(rowOf(database, id!)).toMatchObject({ status: 'PUBLISHED', published_at: NOW + LEASE_MS })
  })

  test('each failure spends an attempt and doubles the delay; at the last attempt the row is DEAD', () => {
    const database = freshDatabase('backoff')
    const [id] = appendEvents(database, [1])
    const store = new OutboxStore(database)
    const delays: number[] = []
    let now = NOW
    for (let attempt = 1; attempt <= RETRY.maxAttempts; attempt++) {
      store.claim('relay-a', now, LEASE_MS, 10)
      const { dead } = store.settle(
        'relay-a',
        now,
        { published: [], failed: [{ id: id!, error: `#${attempt}` }], released: [] },
        RETRY,
      )
      const row = rowOf(database, id!)
      expect(row.attempts).toBe(attempt)
      expect(dead).toBe(attempt === RETRY.maxAttempts ? 1 : 0)
      if (row.next_attempt_at !== null) {
        delays.push(row.next_attempt_at - now)
        now = row.next_attempt_at
      }
    }
    expect(delays).toEqual([1_000, 2_000])
    expect(rowOf(database, id!)).toMatchObject({ status: 'DEAD', last_error: '#3', lease_owner: null })
  })

  test('retention deletes only PUBLISHED rows published before the cutoff', async () => {
    const database = freshDatabase('retention')
    const ids = appendEvents(
      database,
      Array.from({ length: 2_500 }, (_, i) => i + 1),
    )
    const store = new OutboxStore(database)
    const hour = 3_600_000
    store.claim('relay-a', NOW, LEASE_MS, 3_000)
    // 2,200 published 8 days ago, 200 published 1 hour ago, 100 still pending
    const settle = (published: number[], now: number) =>
      store.settle('relay-a', now, { published, failed: [], released: [] }, RETRY)
    settle(ids.slice(0, 2_200), NOW - 192 * hour)
    settle(ids.slice(2_200, 2_400), NOW - hour)
    store.settle('relay-a', NOW, { published: [], failed: [], released: ids.slice(2_400) }, RETRY)
    const relay = new OutboxRelay(
      store,
      new InProcessEventBus(),
      settingsOf('relay-a'),
      metrics(),
      silentLogger,
    )

    expect(await relay.deleteExpired(NOW)).toBe(2_200)

    const left = database.sqlite
      .query('select status, count(*) as n from outbox_events group by status')
      .all()
    expect(left).toEqual([
      { status: 'PENDING', n: 100 },
      { status: 'PUBLISHED', n: 200 },
    ])
  })

  test('inbox retention forgets event ids received before INBOX_RETENTION_HOURS, oldest first, in batches', async () => {
    const database = freshDatabase('inbox-retention')
    const hour = 3_600_000
    const insert = database.sqlite.query(
      'insert into inbox_events (consumer, event_id, received_at) values ($consumer, $eventId, $receivedAt)',
    )
    database.writeTransaction(() => {
      // 2,300 received 9 days ago, then 50 an hour ago (arrival order = rowid order)
      for (let i = 0; i < 2_350; i++) {
        const receivedAt = i < 2_300 ? NOW - 216 * hour : NOW - hour
        insert.run({ consumer: 'notifications', eventId: `e-${i}`, receivedAt })
      }
    })
    const relay = new OutboxRelay(
      new OutboxStore(database),
      new InProcessEventBus(),
      settingsOf('relay-a'),
      metrics(),
      silentLogger,
    )

    expect(await relay.deleteExpiredInbox(NOW)).toBe(2_300)
    expect(database.sqlite.query('select count(*) as n from inbox_events').get()).toEqual({ n: 50 })
    expect(await relay.deleteExpiredInbox(NOW)).toBe(0)
  })
})

describe('two relays on one database file', () => {
  test("publish every row exactly once, both taking part, each order's events in order", async () => {
    const file = 'two-relays'
    const writer = freshDatabase(file)
    // 3,000 events of 1,000 orders, interleaved
    appendEvents(
      writer,
      Array.from({ length: 3_000 }, (_, i) => (i % 1_000) + 1),
    )
    const delivered: { relay: string; eventId: string; orderId: string }[] = []
    const relayOn = (owner: string) => {
      const bus = new InProcessEventBus()
      void bus.subscribe('recorder', ['marketplace.order.created'], async (events) => {
        await Bun.sleep(1) // the other relay claims while this one publishes
        for (const event of events) {
          const envelope = JSON.parse(event.value)
          delivered.push({ relay: owner, eventId: envelope.eventId, orderId: envelope.aggregateId })
        }
      })
      return new OutboxRelay(
        new OutboxStore(freshDatabase(file)),
        bus,
        settingsOf(owner),
        metrics(),
        silentLogger,
      )
    }

    await Promise.all([relayOn('relay-a').drain(), relayOn('relay-b').drain()])

    const eventIds = delivered.map((d) => d.eventId)
    expect(new Set(eventIds).size).toBe(3_000)
    expect(eventIds.length).toBe(3_000)
    expect(new Set(delivered.map((d) => d.relay))).toEqual(new Set(['relay-a', 'relay-b']))
    const pending = writer.sqlite.query("select count(*) as n from outbox_events where status <> 'PUBLISHED'")
    expect(pending.get()).toEqual({ n: 0 })
    const rowIdOf = new Map(
      (writer.sqlite.query('select id, event_id as eventId from outbox_events').all() as any[]).map((r) => [
        r.eventId,
        r.id,
      ]),
    )
    for (const events of Map.groupBy(delivered, (d) => d.orderId).values()) {
      const ids = events.map((d) => rowIdOf.get(d.eventId) as number)
      expect(ids).toEqual(ids.toSorted((a, b) => a - b))
    }
  }, 30_000)
})

function settingsOf(owner: string) {
  return {
    owner,
    isRelayEnabled: true,
    maxPendingAgeSeconds: 60,
    pollIntervalMs: 100,
    batchSize: 50,
    leaseMs: LEASE_MS,
    maxAttempts: RETRY.maxAttempts,
    retryBaseMs: RETRY.retryBaseMs,
    retentionHours: 168,
    inboxRetentionHours: 192,
    topics: new EventTopics(EVENT_CATALOG),
  }
}

const metrics = () => createEventMetrics(new Registry()).outbox

const silentLogger = createLogger('silent')
