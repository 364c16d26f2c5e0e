/**
 * `bun run seed:bulk -- --products 1000000`: generates a large catalog for the pagination and index labs
 * (Phase 5 of the guide). Products belong to the demo seller, spread over the demo categories, statuses and
 * ten years of creation times; rows go in batches of 10,000 per transaction. A local file only (DATABASE_URL=file:…):
 * the labs measure SQLite's indexes, not a network.
 */
import { parseArgs } from 'node:util'
import { insertBulkProducts } from '../db/bulk-products'
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

const started = performance.now()
insertBulkProducts(database.sqlite, total, (done) => process.stdout.write(`\r${done} / ${total}`))
database.close()
console.log(`\ninserted ${total} products in ${((performance.now() - started) / 1000).toFixed(1)} s`)
