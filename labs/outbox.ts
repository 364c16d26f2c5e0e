/**
 * Lab `outbox` (the guide's Kafka phase, "Outbox 패턴"): orders keep coming while the Kafka broker goes away and
 * comes back. Two apps (each the real createDeps + createApp on a database of its own, KAFKA_BROKERS set, topics
 * of their own) take the same stream of real order placements (OrdersService.placeOrder, whose transaction appends
 * the `order.created` outbox row), and each has its outbox moved to Kafka by a different relay:
 * (a) mark-then-send, DELIBERATELY NAIVE, here in the lab only: the original project's OutboxPublisher (its known
 *     bug #8): take the pending rows, mark them PUBLISHED, then send them; a failed send is only logged, so the
 *     rows it carried stay PUBLISHED and are never sent again. It uses the project's own KafkaEventPublisher (same
 *     producer, deadline and retries as ours) and even waits for each send, which the original did not: the order
 *     of "mark" and "send" is the only difference left;
 * (b) the project's relay (src/platform/events/outbox-relay.ts): lease, send, wait for acks=all, then mark; an
 *     unreachable broker hands the rows back and backs the relay off (200 ms doubling to 5 s).
 * The outage is real: the broker of scripts/kafka-broker.ts (a JVM of the lab's own, free ports) is stopped
 * (SIGTERM; about 0.4 s here) and started again on the same address with its data (about 4–5 s until it answers
 * on this 2-core machine), so both fit in the lab's minute and no stand-in (SIGSTOP, a proxy) is needed. "Down" is
 * from the stop until the broker answers again. At the end a consumer of the lab's own reads every topic from the
 * beginning (labs/outbox-topics.ts): delivered = distinct event ids on the topic, lost = rows marked PUBLISHED
 * whose id never reached it, duplicates = records beyond one per event id.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kafkaBroker } from '../scripts/kafka-broker'
import type { EventPublisher } from '../src/platform/events/event-publisher'
import { createServices } from '../src/services'
import type { Lab } from './lab'
import { demoPrincipal, type LabApp, openLabApp, SHIPPING_ADDRESS } from './lab-app'
import { explainOutboxRun } from './outbox-result'
import { createTopicsStampedByBroker, readEveryRecord } from './outbox-topics'

const POLL_INTERVAL_MS = 100
const BATCH_SIZE = 100
const SEND_TIMEOUT_MS = 2_000
const PARTITIONS = 3
const SAMPLE_EVERY_MS = 250
const DRAIN_TIMEOUT_MS = 30_000

type Plan = { ordersPerSecond: number; beforeMs: number; downMs: number; afterMs: number }
/** One relay's app and the counts sampled from its outbox. */
type Side = {
  way: 'naive' | 'ours'
  lab: LabApp
  prefix: string
  placeOrder: () => Promise<void>
  failedOrders: number
  samples: { appended: number; published: number }[]
}

export const outboxLab: Lab = {
  name: 'outbox',
  title: {
    en: 'Kafka down while orders keep coming: mark-then-send vs the outbox relay',
    ko: '주문 도중 Kafka 중단: 표시 후 전송 vs 아웃박스 릴레이',
  },
  async run({ isFast }) {
    const plan: Plan = isFast
      ? { ordersPerSecond: 10, beforeMs: 1_500, downMs: 2_000, afterMs: 1_500 }
      : { ordersPerSecond: 25, beforeMs: 3_000, downMs: 8_000, afterMs: 3_000 }
    const home = mkdtempSync(join(tmpdir(), 'marketplace-lab-outbox-'))
    const broker = kafkaBroker(home, false)
    const sides: Side[] = []
    const loops = { isStreaming: true, isSampling: true }
    let naiveRelay: ReturnType<typeof startMarkThenSendRelay> | undefined
    // the loops, awaited before any app closes: one still running would use a closed database
    let sampling: Promise<void> | undefined
    let streaming: Promise<void> | undefined
    try {
      const { address } = await broker.up()
      for (const way of ['naive', 'ours'] as const) sides.push(await openSide(way, address))
      const [naive, ours] = sides as [Side, Side]
      const topics = [...naive.lab.deps.events.topics.all(), ...ours.lab.deps.events.topics.all()]
      await createTopicsStampedByBroker(address, topics, PARTITIONS)
      await naive.lab.deps.events.publisher.start()
      await ours.lab.deps.events.publisher.start()
      naiveRelay = startMarkThenSendRelay(naive.lab)
      ours.lab.deps.events.relay.start()

      const startedAt = Date.now()
      const timeline: { atMs: number; isDown: boolean }[] = []
      let isDown = false
      sampling = (async () => {
        for (let i = 0; loops.isSampling; i++) {
          for (const side of sides) side.samples.push(outboxCounts(side.lab))
          timeline.push({ atMs: Date.now() - startedAt, isDown })
          await Bun.sleep(Math.max(0, startedAt + (i + 1) * SAMPLE_EVERY_MS - Date.now()))
        }
      })()
      streaming = (async () => {
        for (let i = 0; loops.isStreaming; i++) {
          await Promise.all(sides.map((side) => side.placeOrder()))
          await Bun.sleep(Math.max(0, startedAt + ((i + 1) * 1_000) / plan.ordersPerSecond - Date.now()))
        }
      })()

      await Bun.sleep(plan.beforeMs)
      isDown = true
      const downAt = Date.now()
      try {
        await broker.stop()
        await Bun.sleep(plan.downMs)
      } finally {
        await broker.start()
        isDown = false
      }
      const upAt = Date.now()
      await Bun.sleep(plan.afterMs)
      loops.isStreaming = false
      await streaming
      const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS
      while (sides.some((side) => outboxCounts(side.lab).pending > 0) && Date.now() < drainDeadline) {
        await Bun.sleep(50)
      }
      await naiveRelay.stop()
      await ours.lab.deps.events.relay.stop()
      loops.isSampling = false
      await sampling

      const records = await readEveryRecord(address, topics)
      return explainOutboxRun({
        outcomes: sides.map((side) => ({
          way: side.way,
          failedOrders: side.failedOrders,
          rows: outboxRows(side.lab),
          records: records.filter((record) => record.topic.startsWith(side.prefix)),
          samples: side.samples,
        })),
        timeline,
        startedAt,
        downSeconds: (upAt - downAt) / 1_000,
        upAtMs: upAt - startedAt,
        ordersPerSecond: plan.ordersPerSecond,
        naiveFailedSends: naiveRelay.failedSends(),
      })
    } finally {
      loops.isStreaming = false
      loops.isSampling = false
      await Promise.allSettled([streaming, sampling]) // on an error, that error is the one to report
      await naiveRelay?.stop()
      for (const side of sides) await side.lab.close().catch(() => {})
      await broker.down()
      rmSync(home, { recursive: true, force: true })
    }
  },
}

/** An app on Kafka with topics of its own, a product with stock for the whole run, and its buyer's order. */
async function openSide(way: Side['way'], address: string): Promise<Side> {
  const prefix = `lab.outbox.${way}.`
  const lab = await openLabApp({
    KAFKA_BROKERS: address,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    KAFKA_SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS),
    OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    OUTBOX_BATCH_SIZE: String(BATCH_SIZE),
    // the app's relay runs only on our side, started below; the naive side is drained by the lab's naive relay
    OUTBOX_RELAY_ENABLED: String(way === 'ours'),
  })
  try {
    return await sideOn(lab, way, prefix)
  } catch (error) {
    await lab.close().catch(() => {}) // the first error is the one to report
    throw error
  }
}

/** The side on `lab`: its product created and its buyer ready to order; on a throw, openSide closes the app. */
async function sideOn(lab: LabApp, way: Side['way'], prefix: string): Promise<Side> {
  const services = createServices(lab.deps)
  const buyer = demoPrincipal('BUYER')
  const product = await services.products.createProduct(demoPrincipal('SELLER'), {
    name: 'Lab item',
    price: 1_000,
    stockQuantity: 1_000_000,
    status: 'ON_SALE',
  })
  const side: Side = {
    way,
    lab,
    prefix,
    failedOrders: 0,
    samples: [],
    async placeOrder() {
      try {
        await services.orders.placeOrder(buyer, {
          orderItems: [{ productId: product.id, quantity: 1 }],
          shippingAddress: SHIPPING_ADDRESS,
        })
      } catch {
        side.failedOrders++ // counted and shown: an order must not need the broker
      }
    },
  }
  return side
}

/**
 * DELIBERATELY NAIVE — the original project's relay, in the lab only: every poll marks the pending rows PUBLISHED
 * (one UPDATE … RETURNING) and then sends them through the app's own publisher. A failed send is logged and
 * forgotten, as the original's callback did: the rows say PUBLISHED, so no later poll picks them up again.
 */
function startMarkThenSendRelay(lab: LabApp) {
  const publisher: EventPublisher = lab.deps.events.publisher
  const topics = lab.deps.events.topics
  const markPending = lab.sqlite.query<
    { id: number; eventId: string; aggregateId: string; eventType: string; payload: string },
    Record<string, number>
  >(`update outbox_events set status = 'PUBLISHED', published_at = $now
     where id in (select id from outbox_events where status = 'PENDING' order by id limit $limit)
     returning id, event_id as eventId, aggregate_id as aggregateId, event_type as eventType, payload`)
  let failedSends = 0
  let isStopping = false
  const loop = (async () => {
    while (!isStopping) {
      const rows = markPending.all({ now: Date.now(), limit: BATCH_SIZE }).sort((a, b) => a.id - b.id)
      if (rows.length > 0) {
        try {
          await publisher.publish(
            rows.map((row) => ({
              topic: topics.topicOf(row.eventType)!,
              key: row.aggregateId,
              eventId: row.eventId,
              eventType: row.eventType,
              value: row.payload,
            })),
          )
        } catch {
          failedSends += rows.length // "Failed to publish event": logged, and the rows stay PUBLISHED
        }
      }
      await Bun.sleep(POLL_INTERVAL_MS)
    }
  })()
  return {
    failedSends: () => failedSends,
    async stop() {
      isStopping = true
      await loop
    },
  }
}

function outboxCounts(lab: LabApp) {
  return lab.sqlite
    .query<{ appended: number; published: number; pending: number }, []>(
      `select count(*) as appended,
         coalesce(sum(status = 'PUBLISHED'), 0) as published,
         coalesce(sum(status = 'PENDING'), 0) as pending
       from outbox_events`,
    )
    .get()!
}

function outboxRows(lab: LabApp) {
  return lab.sqlite
    .query<{ eventId: string; status: string }, []>('select event_id as eventId, status from outbox_events')
    .all()
}
