import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { seedBenchCatalog } from './catalog-data'
import { seedOrderBench } from './orders'
import { runOrderLoop } from './raw-order-loop'
const dir = mkdtempSync('/tmp/prof/db-')
const file = join(dir, 'b.db')
await seedBenchCatalog(file, 0)
const bench = await seedOrderBench(file, 4)
console.log(JSON.stringify(await runOrderLoop(file, bench.productId, Number(process.argv[2] ?? 5))))
