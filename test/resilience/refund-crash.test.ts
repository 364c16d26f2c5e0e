/**
 * A refund owed survives a SIGKILL (SPEC §5, §7): a real server process (src/main.ts) takes a payment, the buyer
 * cancels while the gateway is away (so the refund cannot be paid yet), the process is killed with SIGKILL; a new
 * process on the same database file, the gateway back, pays the refund out — once. The gateway is a simulator of
 * the test's own (PAYMENT_URL), so it outlives the processes, as a real gateway does.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startPaymentGateway } from '../../src/simulators/payment-gateway'
import type { Simulator } from '../../src/simulators/sim-server'
import { waitUntil } from '../support/outbox-fixtures'
import { api, createProduct, login, loginDemoSeller, orderBody } from '../support/server-process'
import { useSharedFileServers } from '../support/shared-file-servers'

let gateway: Simulator
beforeAll(async () => {
  gateway = await startPaymentGateway()
})
afterAll(() => gateway.close())

const { databaseFile, start } = useSharedFileServers({
  name: 'refund-crash',
  env: async () => ({ PAYMENT_URL: gateway.url, PAYMENT_BREAKER_OPEN_MS: '200' }),
  processes: 0,
  isCleanExitExpected: false, // one is killed on purpose
})

describe('a server killed with SIGKILL between a cancel and its refund', () => {
  test('the next process pays the refund out, once', async () => {
    const victim = await start()
    const buyer = await login(victim.baseUrl, 'buyer@example.com', 'buyer123!')
    const seller = await loginDemoSeller(victim.baseUrl)
    const product = await createProduct(victim.baseUrl, seller, {
      name: 'Refund',
      price: 7_000,
      stockQuantity: 10,
    })
    const order = await api(victim.baseUrl, 'POST', '/api/v1/orders', {
      token: buyer,
      body: orderBody([{ productId: product.id, quantity: 2 }]),
    })
    expect(order.status, order.text).toBe(201)
    const paid = await api(victim.baseUrl, 'POST', `/api/v1/orders/${order.body.id}/payment`, {
      token: buyer,
    })
    expect(paid.status, paid.text).toBe(200)

    gateway.setFaults({ mode: 'outage' }) // the refund cannot be paid out now
    const cancelled = await api(victim.baseUrl, 'POST', `/api/v1/orders/${order.body.id}/cancel`, {
      token: buyer,
    })
    expect(cancelled.status, cancelled.text).toBe(200)
    await victim.kill()
    expect(gateway.stats().counters.refunds).toBe(0)

    gateway.setFaults({ mode: 'healthy' })
    const survivor = await start()
    await waitUntil(
      () => gateway.stats().counters.refunds === 1,
      30_000,
      () => `refunds at the gateway: ${gateway.stats().counters.refunds} (database ${databaseFile})`,
    )
    const payment = await fetch(`${gateway.url}/v1/payments/by-key/order-${order.body.id}`)
    expect(await payment.json()).toMatchObject({ status: 'REFUNDED', refundedAmount: 14_000 })
    await Bun.sleep(1_500) // more worker rounds: still one refund
    expect(gateway.stats().counters.refunds).toBe(1)
    await survivor.stop()
  }, 90_000)
})
