/**
 * `bun run seed:bulk -- --products 1000000`: generates a large catalog for the pagination and index labs
 * (Phase 5 of the guide). Products belong to the demo seller, spread over the demo categories, statuses and
 * ten years of creation times; rows go in batches of 10,000 per transaction. A local file only (DATABASE_URL=file:…):
 * the labs measure SQLite's indexes, not a network.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config'
import { seedDemoData } from '../src/demo-data'
import { openDatabase } from '../src/platform/db/database'

const { values } = parseArgs({ options: { products: { type: 'string', default: '100000' } } })
const total = Number(values.products)
if (!Number.isSafeInteger(total) || total < 1 || total > 50_000_000) {
  console.error('--products must be an integer in 1..50000000')
  process.exit(1)
}

const config = loadConfig()
if (config.database.mode !== 'file') {
  console.error('seed:bulk writes a local file: set DATABASE_URL=file:<path> (without DATABASE_SYNC_URL)')
  process.exit(1)
}
const database = openDatabase(config.database.filePath)
await seedDemoData({ mode: 'file', local: database, replicas: [] })

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
const now = Date.now()
const insert = database.sqlite.prepare(
  `insert into products (seller_id, category_id, name, description, price, stock_quantity, status, sales_count, created_at, updated_at)
   values (2, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
)
const started = performance.now()
for (let done = 0; done < total; done += BATCH) {
  const size = Math.min(BATCH, total - done)
  database.sqlite.transaction(() => {
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
  process.stdout.write(`\r${Math.min(done + BATCH, total)} / ${total}`)
}
database.sqlite.run('ANALYZE')
database.close()
console.log(`\ninserted ${total} products in ${((performance.now() - started) / 1000).toFixed(1)} s`)
