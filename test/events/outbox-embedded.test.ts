/**
 * The embedded default (SPEC §2, no KAFKA_BROKERS): the outbox relay publishes to the in-process bus and the
 * notification consumer stores and "sends" each notification once, redeliveries included. Also the admin
 * endpoints of the dead letters (GET /api/v1/admin/outbox/dead, POST /api/v1/admin/outbox/{id}/redrive) and the
 * kafka/outbox health components in this mode. The same paths on a real broker: test/events/outbox-kafka.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { expectProblem, useTestApp } from '../support/harness'
import { counterValue, freshProduct, payOrder, placeOrder } from '../support/order-fixtures'
import { insertPoisonEvent, waitUntil } from '../support/outbox-fixtures'

const { t, tokens } = useTestApp(
  { OUTBOX_POLL_INTERVAL_MS: '20', OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BASE_MS: '50' },
  { tokens: true, startEventFlow: true },
)

const sql = () => localFileOf(t.deps.database).sqlite
const count = (query: string, ...params: (string | number)[]) =>
  (
    sql()
      .query(query)
      .get(...params) as { n: number }
  ).n
const pendingCount = () => count("select count(*) as n from outbox_events where status = 'PENDING'")
const untilRelayed = () =>
  waitUntil(
    () => pendingCount() === 0,
    10_000,
    () => `${pendingCount()} outbox rows still PENDING`,
  )

describe('embedded default: outbox → in-process bus → notification consumer', () => {
  test('every event of 40 orders (placed, some confirmed, some cancelled) is published and notified once', async () => {
    const productId = await freshProduct(t, tokens.seller, 1_000)
    const buyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.buyer })).body.id
    const orders = []
    for (let i = 0; i < 40; i++) orders.push(await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }]))
    for (const order of orders.slice(0, 10)) {
      await payOrder(t, tokens.buyer, order.id)
    }
    for (const order of orders.slice(10, 15)) {
      expect(
        (await t.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: tokens.buyer })).status,
      ).toBe(200)
    }

    await untilRelayed()

    const ids = orders.map((order) => order.id).join(',')
    const events = sql()
      .query(`select event_id, status from outbox_events where cast(aggregate_id as integer) in (${ids})`)
      .all() as { event_id: string; status: string }[]
    expect(events).toHaveLength(55)
    expect(events.every((event) => event.status === 'PUBLISHED')).toBe(true)
    const notified = sql()
      .query(`select event_id, kind, member_id from notifications where order_id in (${ids})`)
      .all() as { event_id: string; kind: string; member_id: number }[]
    expect(notified.map((n) => n.event_id).sort()).toEqual(events.map((e) => e.event_id).sort())
    expect(notified.filter((n) => n.kind === 'ORDER_PLACED')).toHaveLength(40)
    expect(notified.filter((n) => n.kind === 'ORDER_STATUS_CHANGED')).toHaveLength(15)
    expect(new Set(notified.map((n) => n.member_id))).toEqual(new Set([buyerId]))
  })

  test('an event delivered again (a relay killed after publishing, before marking) is not notified twice', async () => {
    const order = await placeOrder(t, tokens.buyer, [{ productId: 4, quantity: 1 }])
    await untilRelayed()
    const sentBefore = await counterValue(t, 'marketplace_notifications_sent_total')
    const row = sql()
      .query('select id, event_id from outbox_events where aggregate_id = ?')
      .get(String(order.id)) as {
      id: number
      event_id: string
    }

    sql().query("update outbox_events set status = 'PENDING', published_at = null where id = ?").run(row.id)
    await untilRelayed()

    expect(count('select count(*) as n from notifications where event_id = ?', row.event_id)).toBe(1)
    expect(count('select count(*) as n from inbox_events where event_id = ?', row.event_id)).toBe(1)
    expect(await counterValue(t, 'marketplace_notifications_sent_total')).toBe(sentBefore)
  })

  test('health shows kafka UP in-process and the outbox backlog; metrics count published events', async () => {
    const health = await t.request('GET', '/actuator/health', { token: tokens.admin })

    expect(health.status, health.text).toBe(200)
    expect(health.body.components.kafka, health.text).toMatchObject({
      status: 'UP',
      details: { mode: 'in-process' },
    })
    expect(health.body.components.outbox, health.text).toMatchObject({
      status: 'UP',
      details: { pending: 0, oldestPendingAgeSeconds: 0, relay: 'running' },
    })
    expect(await counterValue(t, 'marketplace_outbox_published_total')).toBeGreaterThanOrEqual(57)
    expect(await counterValue(t, 'marketplace_outbox_pending')).toBe(0)
  })
})

describe('dead letters: GET /api/v1/admin/outbox/dead, POST /api/v1/admin/outbox/{id}/redrive', () => {
  let poisonId: number
  const deadList = () => t.request('GET', '/api/v1/admin/outbox/dead?size=100', { token: tokens.admin })
  const statusOf = (id: number) =>
    (sql().query('select status from outbox_events where id = ?').get(id) as { status: string }).status

  test('a poison event ends DEAD after OUTBOX_MAX_ATTEMPTS while the events behind it are published', async () => {
    const victim = await placeOrder(t, tokens.buyer, [{ productId: 4, quantity: 1 }])
    poisonId = insertPoisonEvent(sql(), 999_001)
    const behind = await placeOrder(t, tokens.buyer, [{ productId: 4, quantity: 1 }])

    await waitUntil(
      () => statusOf(poisonId) === 'DEAD',
      10_000,
      () => `poison row is ${statusOf(poisonId)}`,
    )

    expect(
      count(
        "select count(*) as n from outbox_events where aggregate_id in (?, ?) and status = 'PUBLISHED'",
        String(victim.id),
        String(behind.id),
      ),
    ).toBe(2)
    const poison = sql()
      .query('select attempts, last_error from outbox_events where id = ?')
      .get(poisonId) as any
    expect(poison).toEqual({ attempts: 3, last_error: 'no topic for event type "order.exploded"' })
    expect(await counterValue(t, 'marketplace_outbox_dead_lettered_total')).toBe(1)
    expect(await counterValue(t, 'marketplace_outbox_failed_total', '{reason="rejected"}')).toBe(3)
  })

  test('the admin list shows the dead letter with its error, attempts and stored envelope', async () => {
    const res = await deadList()

    expect(res.status, res.text).toBe(200)
    expect(res.body.page).toEqual({ number: 0, size: 100, totalElements: 1, totalPages: 1 })
    expect(res.body.items[0]).toMatchObject({
      id: poisonId,
      eventType: 'order.exploded',
      aggregateType: 'Order',
      aggregateId: '999001',
      status: 'DEAD',
      attempts: 3,
      lastError: 'no topic for event type "order.exploded"',
    })
    expect(JSON.parse(res.body.items[0].payload).eventType).toBe('order.exploded')
  })

  test('a re-drive puts it back to PENDING with attempts 0; still unroutable, it ends DEAD again', async () => {
    const res = await t.request('POST', `/api/v1/admin/outbox/${poisonId}/redrive`, { token: tokens.admin })

    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ id: poisonId, status: 'PENDING', attempts: 0 })
    await waitUntil(
      () => statusOf(poisonId) === 'DEAD',
      10_000,
      () => `poison row is ${statusOf(poisonId)}`,
    )
    expect(await counterValue(t, 'marketplace_outbox_dead_lettered_total')).toBe(2)
  })

  test('once its cause is fixed, a re-driven event is published and notified', async () => {
    // what a deploy routing the event type would do
    sql()
      .query(
        `update outbox_events set event_type = 'order.created',
           payload = json_set(payload, '$.eventType', 'order.created') where id = ?`,
      )
      .run(poisonId)

    const res = await t.request('POST', `/api/v1/admin/outbox/${poisonId}/redrive`, { token: tokens.admin })

    expect(res.status, res.text).toBe(200)
    await waitUntil(
      () => statusOf(poisonId) === 'PUBLISHED',
      10_000,
      () => `row is ${statusOf(poisonId)}`,
    )
    expect(count('select count(*) as n from notifications where order_id = 999001')).toBe(1)
    expect((await deadList()).body.page.totalElements).toBe(0)
  })

  test('re-driving an event that is not DEAD, or does not exist, is a 404', async () => {
    const published = await t.request('POST', `/api/v1/admin/outbox/${poisonId}/redrive`, {
      token: tokens.admin,
    })
    const unknown = await t.request('POST', '/api/v1/admin/outbox/424242/redrive', { token: tokens.admin })

    expectProblem(published, 404, 'NOT_FOUND')
    expectProblem(unknown, 404, 'NOT_FOUND')
  })

  test('a bad id or page is a 400; buyers and sellers get 403', async () => {
    expectProblem(
      await t.request('POST', '/api/v1/admin/outbox/abc/redrive', { token: tokens.admin }),
      400,
      'VALIDATION_FAILED',
    )
    expectProblem(
      await t.request('GET', '/api/v1/admin/outbox/dead?size=1000', { token: tokens.admin }),
      400,
      'VALIDATION_FAILED',
    )
    expectProblem(
      await t.request('GET', '/api/v1/admin/outbox/dead', { token: tokens.seller }),
      403,
      'ACCESS_DENIED',
    )
    expectProblem(
      await t.request('POST', `/api/v1/admin/outbox/${poisonId}/redrive`, { token: tokens.buyer }),
      403,
      'ACCESS_DENIED',
    )
  })
})
