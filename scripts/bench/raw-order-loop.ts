/**
 * The `order` mode of raw-update-loop.ts: the service's whole order write (idempotency-free placeOrder: stock
 * UPDATE, order, line, outbox row, one transaction) in a loop through the real OrdersService, without HTTP.
 */
import { loadConfig } from '../../src/config'
import { closeDeps, createDeps } from '../../src/deps'
import { createServices } from '../../src/services'

const ADDRESS = { zipCode: '06236', address: 'Seoul', receiverName: 'Kim', receiverPhone: '010-1234-5678' }

export async function runOrderLoop(file: string, productId: number, seconds: number) {
  const deps = await createDeps(
    loadConfig({
      DATABASE_URL: `file:${file}`,
      JWT_SECRET: 'raw-order-loop-secret-0123456789abcdef',
      LOG_LEVEL: 'warn',
    }),
  )
  const { orders } = createServices(deps)
  const buyer = { memberId: 3, role: 'BUYER' as const, jti: 'raw-loop', expiresAt: Number.MAX_SAFE_INTEGER }
  const input = { orderItems: [{ productId, quantity: 1 }], shippingAddress: ADDRESS }
  const loop = async (durationMs: number) => {
    const end = performance.now() + durationMs
    let placed = 0
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) await orders.placeOrder(buyer, input)
      placed += 16
    }
    return placed
  }
  await loop(Math.min(1000, seconds * 200))
  const started = performance.now()
  const updates = await loop(seconds * 1000)
  const elapsed = (performance.now() - started) / 1000
  await closeDeps(deps)
  return { updates, seconds: elapsed }
}
