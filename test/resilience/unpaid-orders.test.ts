/**
 * Unpaid orders expire (SPEC §5; src/modules/payments/unpaid-order-expiry.ts): a PENDING order older than
 * ORDER_PAYMENT_TIMEOUT_MINUTES is cancelled and its stock restored, exactly once even when two rounds run at once;
 * a payment the gateway has (the charge happened, its recording did not) wins over expiry; a gateway that cannot
 * answer leaves the order alone.
 */
import { describe, expect, test } from 'bun:test'
import { UnpaidOrderExpiry } from '../../src/modules/payments/unpaid-order-expiry'
import { localFileOf } from '../../src/platform/db/connections'
import { useTestApp } from '../support/harness'
import { freshProduct, placeOrder, stockOf } from '../support/order-fixtures'

const { t, tokens } = useTestApp({ ORDER_PAYMENT_TIMEOUT_MINUTES: '30' }, { tokens: true })

const expiry = () => t.deps.jobs.find((job): job is UnpaidOrderExpiry => job instanceof UnpaidOrderExpiry)!
const sql = () => localFileOf(t.deps.database).sqlite
const HOUR = 60 * 60_000
/** An order of the demo buyer placed an hour ago (its clock moved back), for 2 of a fresh product of stock 10. */
async function staleOrder() {
  const productId = await freshProduct(t, tokens.seller, 10)
  const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])
  sql().run('update orders set created_at = created_at - ? where id = ?', [HOUR, order.id])
  return { order: order as { id: number; totalAmount: number }, productId }
}
const statusOf = (orderId: number) =>
  (sql().query('select status from orders where id = ?').get(orderId) as { status: string }).status

describe('unpaid orders expire', () => {
  test('an unpaid order past the timeout is cancelled and its stock comes back, once; a fresh one is left alone', async () => {
    const { order, productId } = await staleOrder()
    const freshOne = await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
    expect(stockOf(t, productId).stock).toBe(7)
    const rounds = await Promise.all([expiry().runOnce(), expiry().runOnce()]) // two instances at once
    expect(rounds.reduce((sum, r) => sum + r.expired, 0)).toBe(1)
    expect(statusOf(order.id)).toBe('CANCELLED')
    expect(statusOf(freshOne.id)).toBe('PENDING')
    expect(stockOf(t, productId).stock).toBe(9) // the 2 of the expired order back, once
    expect((await expiry().runOnce()).expired).toBe(0)
  })

  test('a payment the gateway has wins over expiry: the order is confirmed, the capture on record', async () => {
    const { order } = await staleOrder()
    // the charge happened, its recording did not (a crash between the two)
    await t.deps.remote.payments.capture(`order-${order.id}`, order.id, order.totalAmount)
    const round = await expiry().runOnce()
    expect(round.confirmed).toBe(1)
    expect(statusOf(order.id)).toBe('CONFIRMED')
    expect(sql().query('select status from payments where order_id = ?').get(order.id)).toEqual({
      status: 'CAPTURED',
    })
  })

  test('a gateway that cannot answer leaves the order alone this round', async () => {
    const { order, productId } = await staleOrder()
    t.deps.remote.simulators.payment!.setFaults({ mode: 'outage' })
    try {
      const round = await expiry().runOnce()
      expect(round.expired).toBe(0)
      expect(round.skipped).toBeGreaterThanOrEqual(1)
      expect(statusOf(order.id)).toBe('PENDING')
      expect(stockOf(t, productId).stock).toBe(8)
    } finally {
      t.deps.remote.simulators.payment!.setFaults({ mode: 'healthy' })
    }
  })
})
