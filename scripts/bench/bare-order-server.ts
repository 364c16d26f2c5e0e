/**
 * The anchor of the order scenario of `bun run bench`: a minimal Elysia route running the essential order
 * transaction on `bun:sqlite` with prepared statements, one BEGIN IMMEDIATE … COMMIT per request: the conditional
 * stock UPDATE (the statement the service runs), the order row and its outbox row. No auth, validation,
 * idempotency, lines, parts or response mapping: what any order on a local SQLite file costs at least, through
 * the same HTTP server library. It runs on a copy of the bench database (BENCH_DB_FILE), so the real server's
 * relay never sees its rows.
 */
import { Database } from 'bun:sqlite'
import { Elysia } from 'elysia'
import { applyWritePragmas } from '../../src/platform/db/database'

const sqlite = new Database(process.env.BENCH_DB_FILE!, { strict: true })
applyWritePragmas(sqlite) // the service's own PRAGMAs (src/platform/db/database.ts)

const buyerId = 3 // the demo buyer (SPEC §9)
const port = Number(process.env.PORT ?? 8092)

const begin = sqlite.prepare('begin immediate')
const commit = sqlite.prepare('commit')
const rollback = sqlite.prepare('rollback')
const takeStock = sqlite.prepare<{ price: number }, [number, number, number]>(
  `update products set stock_quantity = stock_quantity - ?1, sales_count = sales_count + ?1,
     version = version + 1, updated_at = ?2
   where id = ?3 and stock_quantity >= ?1 and status = 'ON_SALE'
   returning price`,
)
const insertOrder = sqlite.prepare<{ id: number }, [string, number, number, number]>(
  `insert into orders (order_number, buyer_id, status, total_amount, zip_code, address, receiver_name,
     receiver_phone, created_at, updated_at)
   values (?1, ?2, 'PENDING', ?3, '06236', 'Seoul', 'Bench', '010-3333-3333', ?4, ?4) returning id`,
)
const insertOutbox = sqlite.prepare<unknown, [string, string, string, number]>(
  `insert into outbox_events (event_id, aggregate_type, aggregate_id, event_type, payload, status, created_at)
   values (?1, 'order', ?2, 'order.created', ?3, 'PENDING', ?4)`,
)

type Body = { orderItems: { productId: number; quantity: number }[] }

new Elysia()
  .get('/health', () => 'ok')
  .post('/order', ({ body, set }) => {
    const line = (body as Body).orderItems[0]!
    const now = Date.now()
    const orderNumber = crypto.randomUUID()
    begin.run()
    const product = takeStock.get(line.quantity, now, line.productId)
    if (!product) {
      rollback.run()
      set.status = 409
      return { error: 'out of stock' }
    }
    const total = product.price * line.quantity
    const order = insertOrder.get(orderNumber, buyerId, total, now)!
    const payload = JSON.stringify({
      orderId: order.id,
      orderNumber,
      buyerId,
      totalAmount: total,
      items: [line],
    })
    insertOutbox.run(crypto.randomUUID(), String(order.id), payload, now)
    commit.run()
    set.status = 201
    return { id: order.id, orderNumber, totalAmount: total }
  })
  .listen({ port, hostname: '127.0.0.1' })
