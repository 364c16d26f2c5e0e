/**
 * Payments and refunds on a libSQL server (a real sqld): the remote payment store, the capture recorded in the
 * confirmation's batch, the refund written by the cancel's batch and paid out by the worker's remote store;
 * concurrent payments of one order charge once, as on the local file (test/resilience/payments.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, expectProblem, type TestApp } from '../support/harness'
import { freshProduct, placeOrder } from '../support/order-fixtures'
import { useFreshSqld } from '../support/services'

const sqld = useFreshSqld()
let t: TestApp
let tokens: Awaited<ReturnType<TestApp['tokens']>>

beforeAll(async () => {
  t = await createTestApp({ DATABASE_URL: sqld.primaryUrl, DATABASE_TIMEOUT_MS: '10000' })
  tokens = await t.tokens()
}, 60_000)
afterAll(() => t?.close())

const rows = async <T>(sql: string, ...args: (string | number)[]) => {
  if (t.deps.database.mode === 'file') throw new Error('expected a libSQL server')
  return (await t.deps.database.remote.client.execute({ sql, args })).rows as unknown as T[]
}
const captures = () => t.deps.remote.simulators.payment!.stats().counters.captures ?? 0
const pay = (orderId: number) =>
  t.request('POST', `/api/v1/orders/${orderId}/payment`, { token: tokens.buyer })

describe('payments on a libSQL server', () => {
  test('a capture confirms the order in one batch with the payment CAPTURED; 20 concurrent payments charge once', async () => {
    const productId = await freshProduct(t, tokens.seller, 10)
    const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])
    const before = captures()
    const answers = await Promise.all(Array.from({ length: 20 }, () => pay(order.id)))
    expect(answers.every((res) => res.status === 200 && res.body.status === 'CONFIRMED')).toBe(true)
    expect(captures()).toBe(before + 1)
    const [payment] = await rows<{ status: string; amount: number }>(
      'select status, amount from payments where order_id = ?',
      order.id,
    )
    expect({ status: payment!.status, amount: Number(payment!.amount) }).toEqual({
      status: 'CAPTURED',
      amount: order.totalAmount,
    })
  })

  test('the gateway down: 503, the order PENDING; cancelling a paid order owes its refund, paid out once', async () => {
    const productId = await freshProduct(t, tokens.seller, 10)
    const unpaid = await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
    t.deps.remote.simulators.payment!.setFaults({ mode: 'outage' })
    expectProblem(await pay(unpaid.id), 503, 'PAYMENT_UNAVAILABLE')
    t.deps.remote.simulators.payment!.setFaults({ mode: 'healthy' })
    expect((await t.request('GET', `/api/v1/orders/${unpaid.id}`, { token: tokens.buyer })).body.status).toBe(
      'PENDING',
    )

    const paid = await placeOrder(t, tokens.buyer, [{ productId, quantity: 3 }])
    // the breaker may still be OPEN from the outage: retry until it lets the payment through
    for (let i = 0; i < 40 && (await pay(paid.id)).status !== 200; i++) await Bun.sleep(500)
    const cancelled = await t.request('POST', `/api/v1/orders/${paid.id}/cancel`, { token: tokens.buyer })
    expect(cancelled.status, cancelled.text).toBe(200)
    const owed = await rows<{ amount: number; status: string }>(
      'select amount, status from refunds where order_id = ?',
      paid.id,
    )
    expect(owed.map((r) => ({ amount: Number(r.amount), status: r.status }))).toEqual([
      { amount: paid.totalAmount, status: 'PENDING' },
    ])
    expect(await t.deps.refunds.runOnce()).toEqual({ done: 1, failed: 0, later: 0 })
    const [done] = await rows<{ status: string }>('select status from refunds where order_id = ?', paid.id)
    expect(done!.status).toBe('DONE')
  }, 60_000)
})
