/**
 * The `order` mode of raw-update-loop.ts: the service's whole order write (idempotency-free placeOrder: stock
 * UPDATE, order, line, part, outbox row) through the real OrdersService, without HTTP, with ORDER_LOOP_IN_FLIGHT
 * calls in flight (as 64 HTTP connections would keep them): the orders of one event-loop turn share a commit
 * (src/platform/db/group-commit.ts).
 *
 * It runs on a snapshot of the bench database (VACUUM INTO), so the idle server's relay does not publish the
 * loop's events on the same CPU while it runs. Besides the rate it measures WAL pages per order: with SQLite's
 * auto-checkpoint off, the WAL grows by one frame per page written, so (frames after − frames before) / orders
 * is what an order costs the disk, measured in flight (grouped) and one order at a time.
 */
import { Database } from 'bun:sqlite'
import { rmSync, statSync } from 'node:fs'
import { loadConfig } from '../../src/config'
import { closeDeps, createDeps } from '../../src/deps'
import { WAL_AUTOCHECKPOINT_PAGES } from '../../src/platform/db/database'
import { createServices } from '../../src/services'

const ADDRESS = { zipCode: '06236', address: 'Seoul', receiverName: 'Kim', receiverPhone: '010-1234-5678' }
export const ORDER_LOOP_IN_FLIGHT = 64
const PAGE_SAMPLE_ORDERS = 2_000

export type OrderLoopResult = {
  updates: number
  seconds: number
  /** WAL pages written per order, 64 in flight / one at a time */
  pagesPerOrder: { inFlight: number; sequential: number }
  /** orders per COMMIT during the timed loop */
  ordersPerCommit: number
}

export async function runOrderLoop(
  file: string,
  productId: number,
  seconds: number,
): Promise<OrderLoopResult> {
  const snapshot = `${file}.order-loop.db`
  rmSync(snapshot, { force: true })
  const source = new Database(file, { readonly: true })
  source.run(`VACUUM INTO '${snapshot.replaceAll("'", "''")}'`)
  source.close()
  const deps = await createDeps(
    loadConfig({
      DATABASE_URL: `file:${snapshot}`,
      JWT_SECRET: 'raw-order-loop-secret-0123456789abcdef',
      LOG_LEVEL: 'warn',
    }),
  )
  if (deps.database.mode !== 'file') throw new Error('the order loop runs on a local file')
  const { sqlite } = deps.database.local
  const { orders } = createServices(deps)
  const buyer = { memberId: 3, role: 'BUYER' as const, jti: 'raw-loop', expiresAt: Number.MAX_SAFE_INTEGER }
  const input = { orderItems: [{ productId, quantity: 1 }], shippingAddress: ADDRESS }

  const inFlight = async (until: (placed: number) => boolean) => {
    let placed = 0
    const worker = async () => {
      while (!until(placed)) {
        await orders.placeOrder(buyer, input)
        placed++
      }
    }
    await Promise.all(Array.from({ length: ORDER_LOOP_IN_FLIGHT }, worker))
    return placed
  }
  const oneAtATime = async (count: number) => {
    for (let i = 0; i < count; i++) await orders.placeOrder(buyer, input)
    return count
  }
  const pagesPerOrder = async (place: () => Promise<number>) => {
    sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
    sqlite.run('PRAGMA wal_autocheckpoint = 0')
    const pageSize = (sqlite.query('PRAGMA page_size').get() as { page_size: number }).page_size
    const frames = () => Math.max(0, (statSync(`${snapshot}-wal`).size - 32) / (pageSize + 24))
    const before = frames()
    const placed = await place()
    const written = frames() - before
    sqlite.run(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
    sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
    return written / placed
  }

  try {
    const warmUpEnd = performance.now() + Math.min(1000, seconds * 200)
    await inFlight(() => performance.now() >= warmUpEnd)
    const pages = {
      inFlight: await pagesPerOrder(() => inFlight((placed) => placed >= PAGE_SAMPLE_ORDERS)),
      sequential: await pagesPerOrder(() => oneAtATime(PAGE_SAMPLE_ORDERS / 4)),
    }
    const groupsBefore = deps.database.local.groupStats()
    const started = performance.now()
    const end = started + seconds * 1000
    const updates = await inFlight(() => performance.now() >= end)
    const elapsed = (performance.now() - started) / 1000
    const groupsAfter = deps.database.local.groupStats()
    const ordersPerCommit =
      (groupsAfter.writes - groupsBefore.writes) / (groupsAfter.groups - groupsBefore.groups)
    return { updates, seconds: elapsed, pagesPerOrder: pages, ordersPerCommit }
  } finally {
    await closeDeps(deps)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${snapshot}${suffix}`, { force: true })
  }
}
