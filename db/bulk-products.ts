/**
 * A large generated catalog (`bun run seed:bulk`, the pagination lab): products of the demo seller (id 2) over the
 * demo categories, statuses and ten years of creation times, in batches of 10,000 per transaction, then ANALYZE
 * so the planner knows the table's size. A local file only: the labs measure SQLite's indexes, not a network.
 */
import type { Database } from 'bun:sqlite'

const WORDS = [
  'Laptop',
  'Phone',
  'Jacket',
  'Book',
  'Camera',
  'Desk',
  'Chair',
  'Watch',
  'Bag',
  'Lamp',
  '노트북',
  '책',
]
const STATUSES = ['ON_SALE', 'ON_SALE', 'ON_SALE', 'ON_SALE', 'SOLD_OUT', 'DRAFT', 'DELETED']
const BATCH = 10_000
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000

export function insertBulkProducts(sqlite: Database, total: number, onBatch?: (done: number) => void): void {
  const now = Date.now()
  const insert = sqlite.prepare(
    `insert into products (seller_id, category_id, name, description, price, stock_quantity, status, sales_count,
       created_at, updated_at)
     values (2, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  for (let done = 0; done < total; done += BATCH) {
    const size = Math.min(BATCH, total - done)
    sqlite.transaction(() => {
      for (let i = 0; i < size; i++) {
        const n = done + i
        const status = STATUSES[n % STATUSES.length]!
        const createdAt = now - Math.floor(Math.random() * TEN_YEARS_MS)
        const stock = status === 'SOLD_OUT' ? 0 : 1 + (n % 500)
        insert.run(
          1 + (n % 3),
          `${WORDS[n % WORDS.length]} ${n}`,
          `Bulk product ${n} for pagination and index labs`,
          1000 * (1 + (n % 2000)),
          stock,
          status,
          Math.floor(Math.random() * 10_000),
          createdAt,
          createdAt,
        )
      }
    })()
    onBatch?.(Math.min(done + BATCH, total))
  }
  sqlite.run('ANALYZE')
}
