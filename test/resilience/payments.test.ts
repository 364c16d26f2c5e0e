/**
 * POST /api/v1/orders/{id}/payment (SPEC §4, §5, §7) against the payment gateway simulator the app starts, over
 * real HTTP: a capture confirms the order; one charge per order whatever happens (an answer lost after the charge,
 * 50 concurrent requests, a second payment); the gateway failing leaves the order PENDING with a 503 and
 * Retry-After; an OPEN breaker answers without calling the gateway; a paid order cancelled owes its refund.
 */
import { describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { startPaymentGateway } from '../../src/simulators/payment-gateway'
import type { Simulator } from '../../src/simulators/sim-server'
import { createTestApp, expectProblem, type TestResponse, useTestApp } from '../support/harness'
import { freshProduct, placeOrder } from '../support/order-fixtures'

const { t, tokens } = useTestApp(
  {
    PAYMENT_BREAKER_WINDOW: '6',
    PAYMENT_BREAKER_MINIMUM_CALLS: '3',
    PAYMENT_BREAKER_OPEN_MS: '600',
    PAYMENT_RETRIES: '2',
    PAYMENT_TIMEOUT_MS: '500',
    PAYMENT_BULKHEAD_MAX_QUEUE: '64', // 50 concurrent payments all admitted (the bulkhead's refusals: dependency-policies)
    RATE_LIMIT_IP_PER_SECOND: '0',
    RATE_LIMIT_ORDERS_PER_SECOND: '0',
  },
  { tokens: true },
)

const gateway = (): Simulator => t.deps.remote.simulators.payment!
const captures = () => gateway().stats().counters.captures ?? 0
const pay = (orderId: number, options: { token?: string; key?: string } = {}) =>
  t.request('POST', `/api/v1/orders/${orderId}/payment`, {
    token: options.token ?? tokens.buyer,
    headers: options.key ? { 'idempotency-key': options.key } : undefined,
  })
const sql = () => localFileOf(t.deps.database).sqlite
const paymentRow = (orderId: number) =>
  sql()
    .query('select status, amount, gateway_key, gateway_payment_id from payments where order_id = ?')
    .get(orderId) as {
    status: string
    amount: number
    gateway_key: string
    gateway_payment_id: string | null
  } | null
async function newOrder(quantity = 2) {
  const productId = await freshProduct(t, tokens.seller, 10)
  const order = await placeOrder(t, tokens.buyer, [{ productId, quantity }])
  return order as { id: number; totalAmount: number }
}
/** Heals the gateway and closes its breaker (past OPEN's 600 ms, one successful call: a lookup). */
const waitUntilClosed = async () => {
  gateway().setFaults({ mode: 'healthy' })
  for (let i = 0; i < 20 && t.deps.breakers.states()['payment-gateway'] !== 'CLOSED'; i++) {
    await Bun.sleep(100)
    await t.deps.remote.payments.findByKey('probe').catch(() => undefined)
  }
}

describe('POST /api/v1/orders/{id}/payment', () => {
  test('a capture confirms the order: CONFIRMED, the payment CAPTURED, one charge; paying again changes nothing', async () => {
    const order = await newOrder()
    const before = captures()
    const res = await pay(order.id)
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('CONFIRMED')
    expect(res.body.parts.every((part: { status: string }) => part.status === 'CONFIRMED')).toBe(true)
    expect(paymentRow(order.id)).toMatchObject({
      status: 'CAPTURED',
      amount: order.totalAmount,
      gateway_key: `order-${order.id}`,
    })
    expect(captures()).toBe(before + 1)

    const again = await pay(order.id)
    expect(again.status).toBe(200)
    expect(again.body.status).toBe('CONFIRMED')
    expect(captures()).toBe(before + 1)
  })

  test('the gateway down: 503 PAYMENT_UNAVAILABLE with Retry-After, the order still PENDING, nothing charged', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    gateway().setFaults({ mode: 'outage' })
    const before = captures()
    const res = await pay(order.id, { key: `pay-${order.id}` })
    expectProblem(res, 503, 'PAYMENT_UNAVAILABLE')
    expect(res.headers.get('retry-after')).toBe('5')
    expect((await t.request('GET', `/api/v1/orders/${order.id}`, { token: tokens.buyer })).body.status).toBe(
      'PENDING',
    )
    expect(paymentRow(order.id)?.status).toBe('PENDING')
    expect(captures()).toBe(before)

    await waitUntilClosed()
    const retried = await pay(order.id, { key: `pay-${order.id}` }) // the key was given back
    expect(retried.status, retried.text).toBe(200)
    expect(retried.body.status).toBe('CONFIRMED')
    const replay = await pay(order.id, { key: `pay-${order.id}` })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body).toEqual(retried.body)
  })

  test('an answer lost after the charge: retried with the same gateway key, charged once', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    gateway().setFaults({ mode: 'reset', failureRate: 1 })
    const before = captures()
    const first = pay(order.id)
    await Bun.sleep(30)
    gateway().setFaults({ mode: 'healthy' }) // the retry's answer arrives
    const res = await first
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('CONFIRMED')
    expect(captures()).toBe(before + 1)
  })

  test('50 concurrent payments of one order: one charge, every answer the confirmed order', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    const before = captures()
    const answers = await Promise.all(Array.from({ length: 50 }, () => pay(order.id)))
    expect(answers.map((res) => res.status).every((status) => status === 200)).toBe(true)
    expect(answers.every((res) => res.body.status === 'CONFIRMED')).toBe(true)
    expect(captures()).toBe(before + 1)
    const events = sql()
      .query(
        "select count(*) as n from outbox_events where aggregate_id = ? and event_type = 'order.status-changed'",
      )
      .get(String(order.id)) as { n: number }
    expect(events.n).toBe(1) // one part confirmed once
  })

  test('50 concurrent requests with one Idempotency-Key: one charge; the others replay or are told it runs', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    const before = captures()
    const answers: TestResponse[] = await Promise.all(
      Array.from({ length: 50 }, () => pay(order.id, { key: `same-${order.id}` })),
    )
    for (const res of answers) {
      if (res.status === 200) expect(res.body.status).toBe('CONFIRMED')
      else expectProblem(res, 409, 'REQUEST_IN_PROGRESS')
    }
    expect(answers.some((res) => res.status === 200)).toBe(true)
    expect(captures()).toBe(before + 1)
  })

  test('after repeated failures the breaker opens: 503 at once, the gateway not called; it closes again', async () => {
    await waitUntilClosed()
    gateway().setFaults({ mode: 'error' })
    const orders = await Promise.all([newOrder(1), newOrder(1), newOrder(1), newOrder(1)])
    for (const order of orders.slice(0, 2)) expectProblem(await pay(order.id), 503, 'PAYMENT_UNAVAILABLE')
    expect(t.deps.breakers.states()['payment-gateway']).toBe('OPEN')
    const before = gateway().stats().requests
    const started = performance.now()
    expectProblem(await pay(orders[2]!.id), 503, 'PAYMENT_UNAVAILABLE')
    expect(performance.now() - started).toBeLessThan(100)
    expect(gateway().stats().requests).toBe(before)
    await waitUntilClosed()
    expect((await pay(orders[3]!.id)).status).toBe(200)
    expect(t.deps.breakers.states()['payment-gateway']).toBe('CLOSED')
  })

  test('someone else’s order is a 404; a seller is refused; a cancelled order is a 409 and is not charged', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    expectProblem(await pay(order.id, { token: tokens.otherBuyer }), 404, 'ORDER_NOT_FOUND')
    expectProblem(await pay(order.id, { token: tokens.seller }), 403, 'ACCESS_DENIED')
    expectProblem(await pay(999_999), 404, 'ORDER_NOT_FOUND')
    await t.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: tokens.buyer })
    const before = captures()
    expectProblem(await pay(order.id), 409, 'INVALID_ORDER_STATUS_TRANSITION')
    expect(captures()).toBe(before)
  })

  test('cancelling a paid order owes its refund, written with the cancellation', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    expect((await pay(order.id)).status).toBe(200)
    const cancelled = await t.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: tokens.buyer })
    expect(cancelled.status, cancelled.text).toBe(200)
    const refunds = sql().query('select amount, status from refunds where order_id = ?').all(order.id)
    expect(refunds).toEqual([{ amount: order.totalAmount, status: 'PENDING' }])
  })

  test('the refund worker pays the refund out once; a part cancelled by its seller refunds that part only', async () => {
    await waitUntilClosed()
    await t.deps.refunds.runOnce() // what earlier tests left owed
    const mine = await freshProduct(t, tokens.seller, 10)
    const theirs = await freshProduct(t, tokens.otherSeller, 10)
    const order = await placeOrder(t, tokens.buyer, [
      { productId: mine, quantity: 1 },
      { productId: theirs, quantity: 2 },
    ])
    expect((await pay(order.id)).status).toBe(200)
    const sellerCancel = await t.request('PATCH', `/api/v1/sellers/orders/${order.id}/status`, {
      token: tokens.seller,
      body: { status: 'CANCELLED' },
    })
    expect(sellerCancel.status, sellerCancel.text).toBe(200)
    const part = order.parts.find(
      (p: { sellerId: number }) => p.sellerId === sellerCancel.body.parts[0].sellerId,
    )
    const before = gateway().stats().counters.refunds ?? 0
    expect(await t.deps.refunds.runOnce()).toEqual({ done: 1, failed: 0, later: 0 })
    expect(await t.deps.refunds.runOnce()).toEqual({ done: 0, failed: 0, later: 0 })
    expect(gateway().stats().counters.refunds).toBe(before + 1)
    const gatewayPayment = await t.deps.remote.payments.findByKey(`order-${order.id}`)
    expect(gatewayPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: part.subtotal })
    expect(sql().query('select amount, status from refunds where order_id = ?').all(order.id)).toEqual([
      { amount: part.subtotal, status: 'DONE' },
    ])
  })

  test('the gateway away: the refund waits (retried later, doubling), then is paid once it is back', async () => {
    await waitUntilClosed()
    const order = await newOrder()
    await pay(order.id)
    await t.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: tokens.buyer })
    gateway().setFaults({ mode: 'outage' })
    expect((await t.deps.refunds.runOnce()).later).toBe(1)
    const row = () =>
      sql()
        .query('select status, attempts, next_attempt_at from refunds where order_id = ?')
        .get(order.id) as {
        status: string
        attempts: number
        next_attempt_at: number
      }
    expect(row()).toMatchObject({ status: 'PENDING', attempts: 1 })
    expect((await t.deps.refunds.runOnce()).later).toBe(0) // not due yet
    await waitUntilClosed()
    expect(await t.deps.refunds.runOnce(row().next_attempt_at)).toMatchObject({ done: 1 })
    expect(row().status).toBe('DONE')
  })
})

describe('a refund owed survives a restart', () => {
  test('cancelled while paid, restarted before the payout: the next start refunds it, once', async () => {
    // the gateway outlives the app, as a real one does (PAYMENT_URL): only the app restarts
    const gateway = await startPaymentGateway()
    let app = await createTestApp({ PAYMENT_URL: gateway.url, RATE_LIMIT_ORDERS_PER_SECOND: '0' })
    try {
      const personas = await app.tokens()
      const productId = await freshProduct(app, personas.seller, 10)
      const order = await placeOrder(app, personas.buyer, [{ productId, quantity: 3 }])
      const paid = await app.request('POST', `/api/v1/orders/${order.id}/payment`, { token: personas.buyer })
      expect(paid.status, paid.text).toBe(200)
      await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: personas.buyer })
      app = await app.restart() // nothing paid out yet: the worker never ran
      expect(await app.deps.refunds.runOnce()).toEqual({ done: 1, failed: 0, later: 0 })
      expect(gateway.stats().counters.refunds).toBe(1)
      const payment = await app.deps.remote.payments.findByKey(`order-${order.id}`)
      expect(payment).toMatchObject({ status: 'REFUNDED', refundedAmount: order.totalAmount })
    } finally {
      await app.close()
      await gateway.close()
    }
  })
})
