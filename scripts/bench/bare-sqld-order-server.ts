/**
 * The anchor of the libSQL order scenario of `bun run bench` (scripts/bench/libsql.ts): a minimal Elysia route
 * that sends the essential order to the sqld primary at SQLD_URL as ONE `batch(…, 'write')`: the stock decrement
 * (the CHECK refuses a negative stock), the order row and its outbox row. No auth, validation, idempotency, lines,
 * parts or response mapping: what any order on a libSQL server costs at least, over the same client and protocol.
 */
import { createClient } from '@libsql/client'
import { Elysia } from 'elysia'

// As the app's client does (src/platform/db/remote-database.ts): at most 4 writes in flight (measured here: 20
// concurrent write batches from one client drove sqld into hundreds of threads waiting on its write lock, a load
// average of ~400 on 2 cores, and every later request timing out), and a request unanswered for long is aborted.
const client = createClient({
  url: process.env.SQLD_URL!,
  concurrency: 4,
  fetch: (input: string | URL | Request, init: RequestInit = {}) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(3_000) }),
})
const productId = Number(process.env.BENCH_PRODUCT_ID)
const buyerId = 3 // the demo buyer (SPEC §9)
const port = Number(process.env.PORT ?? 8091)

new Elysia()
  .get('/health', () => 'ok')
  .post('/order', async ({ set }) => {
    const now = Date.now()
    const orderNumber = crypto.randomUUID()
    // another writer holding the server's lock (SQLITE_BUSY), or no answer in time: send again, as any client must
    for (let attempt = 0; ; attempt++) {
      try {
        await send(orderNumber, now)
        break
      } catch (error) {
        if (attempt > 50 || !/SQLITE_BUSY|locked|timed? ?out|abort/i.test(String(error))) throw error
        await Bun.sleep(5)
      }
    }
    set.status = 201
    return { orderNumber }
  })
  .listen({ port, hostname: '127.0.0.1' })

function send(orderNumber: string, now: number) {
  return client.batch(
    [
      {
        sql: 'update products set stock_quantity = stock_quantity - 1, sales_count = sales_count + 1 where id = ?',
        args: [productId],
      },
      {
        sql: `insert into orders (order_number, buyer_id, status, total_amount, zip_code, address, receiver_name,
                  receiver_phone, created_at, updated_at) values (?, ?, 'PENDING', 49000, '06236', 'Seoul', 'Bench', '010-3333-3333', ?, ?)`,
        args: [orderNumber, buyerId, now, now],
      },
      {
        // already PUBLISHED: the same row and index entries, but not an event the servers' relays would send
        sql: `insert into outbox_events (event_id, aggregate_type, aggregate_id, event_type, payload, status, created_at)
                values (?, 'order', ?, 'order.created', '{}', 'PUBLISHED', ?)`,
        args: [crypto.randomUUID(), orderNumber, now],
      },
    ],
    'write',
  )
}
