/**
 * The product read path in process, without HTTP: `bun scripts/bench/raw-read-loop.ts [images]` prints the median
 * µs of ProductsRepository.findProduct (one row) and of a first cursor page of 21 rows on bun:sqlite, over 5 rounds,
 * each read called directly and awaited (what a service does). `images` gives product n (n % 3) images, so the
 * images subquery has rows to fold. The bench catalog (scripts/bench/catalog-data.ts, 5,000 products) in a
 * temporary file. Figures it gave: docs/performance.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProductsRepository } from '../../src/modules/catalog/products.repository'
import { openDatabase } from '../../src/platform/db/database'
import { seedBenchCatalog } from './catalog-data'

const PRODUCTS = 5_000
const ROUNDS = 5
const withImages = Bun.argv[2] === 'images'

const dir = mkdtempSync(join(tmpdir(), 'raw-read-loop-'))
const file = join(dir, 'bench.db')
await seedBenchCatalog(file, PRODUCTS)
const database = openDatabase(file)
if (withImages) {
  const add = database.sqlite.prepare(
    `insert into product_images (product_id, image_url, content_type, size_bytes, display_order)
     values (?, ?, 'image/png', 100, ?)`,
  )
  database.sqlite.transaction(() => {
    for (let id = 1; id <= PRODUCTS; id++) {
      for (let n = 0; n < id % 3; n++) add.run(id, `/uploads/products/${id}/${n}.png`, 1 - n)
    }
  })()
}
const repository = new ProductsRepository(database.db)

/** µs per call of `read`, after a warm-up; awaited when `isAwaited`. */
async function microsPerCall(calls: number, isAwaited: boolean, read: (i: number) => unknown) {
  for (let i = 0; i < 2_000; i++) await read(i)
  const start = Bun.nanoseconds()
  if (isAwaited) for (let i = 0; i < calls; i++) await read(i)
  else for (let i = 0; i < calls; i++) read(i)
  return (Bun.nanoseconds() - start) / calls / 1_000
}

const findProduct = (i: number) => repository.findProduct(1 + (i % PRODUCTS))
const firstPage = () => repository.cursorPublic({}, undefined, 20)
const loops = {
  findProduct: [100_000, findProduct],
  cursorPage21: [10_000, firstPage],
} as const
const results: Record<string, number[]> = {}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, [calls, read]] of Object.entries(loops)) {
    for (const isAwaited of [false, true]) {
      const key = `${name}${isAwaited ? ' (awaited)' : ''}`
      results[key] = [...(results[key] ?? []), await microsPerCall(calls, isAwaited, read)]
    }
  }
}
const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!
for (const [name, values] of Object.entries(results)) console.log(`${name}: ${median(values).toFixed(2)} µs`)
database.close()
rmSync(dir, { recursive: true, force: true })
