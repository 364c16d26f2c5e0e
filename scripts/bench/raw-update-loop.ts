/**
 * The raw baseline of the order scenario, run as its own process (pinned to the server's CPU by the caller):
 * `bun scripts/bench/raw-update-loop.ts <db file> <product id> <seconds> [update|order]` prints
 * `{"updates":n,"seconds":s}`.
 *
 * It is the physical limit of the order write path on this machine: the one statement an order cannot do
 * without, through the same client and database file, with the same commit cost. Included: bun:sqlite, the
 * PRAGMAs of src/platform/db/database.ts (WAL, synchronous=NORMAL, foreign_keys, busy_timeout), one BEGIN
 * IMMEDIATE … COMMIT per UPDATE (an order is one transaction: write lock, WAL append, WAL auto-checkpoints),
 * takeStock's conditional UPDATE with its RETURNING row on the same hot product (its partial index on
 * sales_count included), statements prepared once. Excluded: HTTP, JSON parsing and validation, the JWT
 * check, Drizzle's query building, the INSERTs of the order, its lines and its outbox event, the response.
 *
 * `order` mode runs the whole order write instead: OrdersService.placeOrder (one line, quantity 1, demo buyer
 * 3) in a loop, without HTTP. The gap between it and the HTTP figure is what the web layer costs; the gap between
 * it and `update` is what the order's other rows cost (an order writes ≈ 14 WAL pages, the UPDATE 2).
 */
import { Database } from 'bun:sqlite'
import { applyWritePragmas } from '../../src/platform/db/database'

const [file, productArg, secondsArg, mode = 'update'] = Bun.argv.slice(2)
const productId = Number(productArg)
const seconds = Number(secondsArg)
if (!file || !Number.isInteger(productId) || !(seconds > 0)) {
  throw new Error('usage: raw-update-loop.ts <db file> <product id> <seconds>')
}

if (mode === 'order') {
  const { runOrderLoop } = await import('./raw-order-loop')
  console.log(JSON.stringify(await runOrderLoop(file, productId, seconds)))
  process.exit(0)
}

const sqlite = new Database(file, { strict: true })
applyWritePragmas(sqlite) // the service's own PRAGMAs (src/platform/db/database.ts)

// the statement Drizzle generates for takeStock (placementStatements in src/modules/orders/orders.repository.ts),
// quantity 1. Its SET leaves status out (the SOLD_OUT UPDATE that follows only when the stock reaches 0 never
// runs here); `status = case … end` in the SET costs 3 more WAL pages per UPDATE (partial indexes on status).
const takeStock = sqlite.prepare<
  { seller_id: number; name: string; price: number; stock_quantity: number },
  [number, number, number]
>(
  `update products set stock_quantity = stock_quantity - ?1, sales_count = sales_count + ?1,
     version = version + 1, updated_at = ?2
   where id = ?3 and stock_quantity >= ?1 and status = 'ON_SALE'
   returning seller_id, name, price, stock_quantity`,
)
const begin = sqlite.prepare('begin immediate')
const commit = sqlite.prepare('commit')

function loop(durationMs: number): number {
  const end = performance.now() + durationMs
  let updates = 0
  while (true) {
    for (let i = 0; i < 64; i++) {
      begin.run()
      const row = takeStock.get(1, Date.now(), productId)
      commit.run()
      if (!row) throw new Error(`product ${productId} took no stock (sold out or not ON_SALE)`)
    }
    updates += 64
    if (performance.now() >= end) return updates
  }
}

loop(Math.min(1000, seconds * 200)) // warm-up: JIT, page cache
const started = performance.now()
const updates = loop(seconds * 1000)
const elapsed = (performance.now() - started) / 1000
sqlite.close()
console.log(JSON.stringify({ updates, seconds: elapsed }))
