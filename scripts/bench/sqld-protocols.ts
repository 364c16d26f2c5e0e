/**
 * `bun scripts/bench/sqld-protocols.ts`: @libsql/client against a local sqld primary over `http://` (Hrana over
 * HTTP: one POST per call, on fetch's keep-alive pool) and over `ws://` (Hrana over one WebSocket, calls
 * multiplexed as streams), to choose the remote driver's protocol. Four loads per protocol: the order path's
 * shape (`batch([insert order, decrement stock], 'write')`) and a primary-key read, each one at a time and with
 * 64 in flight. Prints ops/s and latency percentiles, median of ROUNDS rounds (protocols alternate within a
 * round, so drift in a shared machine's load hits both), and the calls refused (by code). Not a test: figures
 * only, no thresholds.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'
import { startSqld } from '../sqld'

const ROUNDS = 3
const PRODUCTS = 1_000
const IN_FLIGHT = 64
const OPS = { sequential: { write: 300, read: 1_500 }, concurrent: { write: 2_000, read: 10_000 } }
const WARM_UP_OPS = 100

type Load = { name: string; ops: number; inFlight: number; run(client: Client, i: number): Promise<unknown> }
/** ops/s counts the calls that succeeded; `errors`, the refused ones by code (e.g. SQLITE_BUSY under contention) */
type Figures = { opsPerSecond: number; p50Ms: number; p99Ms: number; errors: Record<string, number> }

const writeBatch = (client: Client, i: number) =>
  client.batch(
    [
      { sql: 'insert into orders (product_id, quantity) values (?, 1)', args: [(i % PRODUCTS) + 1] },
      { sql: 'update products set stock = stock - 1 where id = ?', args: [(i % PRODUCTS) + 1] },
    ],
    'write',
  )
const readByKey = (client: Client, i: number) =>
  client.execute({
    sql: 'select id, name, price, stock from products where id = ?',
    args: [(i % PRODUCTS) + 1],
  })

const LOADS: Load[] = [
  { name: 'write batch, sequential', ops: OPS.sequential.write, inFlight: 1, run: writeBatch },
  {
    name: `write batch, ${IN_FLIGHT} in flight`,
    ops: OPS.concurrent.write,
    inFlight: IN_FLIGHT,
    run: writeBatch,
  },
  { name: 'PK read, sequential', ops: OPS.sequential.read, inFlight: 1, run: readByKey },
  { name: `PK read, ${IN_FLIGHT} in flight`, ops: OPS.concurrent.read, inFlight: IN_FLIGHT, run: readByKey },
]

/** `ops` calls of `load`, `inFlight` at a time; throughput, per-call latency and the errors by code. */
async function measure(client: Client, load: Load): Promise<Figures> {
  const latencies = new Float64Array(load.ops)
  const errors: Record<string, number> = {}
  let next = 0
  const worker = async () => {
    for (let i = next++; i < load.ops; i = next++) {
      const started = performance.now()
      await load.run(client, i).catch((error: { code?: string }) => {
        const code = error.code ?? String(error)
        errors[code] = (errors[code] ?? 0) + 1
      })
      latencies[i] = performance.now() - started
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: load.inFlight }, worker))
  const seconds = (performance.now() - started) / 1_000
  latencies.sort()
  const failed = Object.values(errors).reduce((sum, n) => sum + n, 0)
  return {
    errors,
    opsPerSecond: (load.ops - failed) / seconds,
    p50Ms: latencies[Math.floor(load.ops * 0.5)]!,
    p99Ms: latencies[Math.floor(load.ops * 0.99)]!,
  }
}

function errorsOf(figures: Figures[]): string {
  const total: Record<string, number> = {}
  for (const { errors } of figures)
    for (const [code, n] of Object.entries(errors)) total[code] = (total[code] ?? 0) + n
  return (
    Object.entries(total)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ') || 'none'
  )
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!

async function seed(client: Client): Promise<void> {
  await client.batch(
    [
      'create table products (id integer primary key, name text not null, price integer not null, ' +
        'stock integer not null check (stock >= 0))',
      'create table orders (id integer primary key, product_id integer not null, quantity integer not null)',
    ],
    'write',
  )
  const rows = Array.from({ length: PRODUCTS }, (_, i) => ({
    sql: 'insert into products (id, name, price, stock) values (?, ?, ?, ?)',
    args: [i + 1, `Product ${i + 1}`, 1_000 + i, 1_000_000],
  }))
  await client.batch(rows, 'write')
}

const dir = mkdtempSync(join(tmpdir(), 'sqld-protocols-'))
const server = await startSqld({ dir })
const clients = {
  http: createClient({ url: server.url }),
  ws: createClient({ url: server.url.replace('http', 'ws') }),
}
try {
  await seed(clients.http)
  for (const client of Object.values(clients))
    for (const load of LOADS) await measure(client, { ...load, ops: Math.min(load.ops, WARM_UP_OPS) })
  const results = new Map<string, Figures[]>()
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['http', 'ws'] as const) : (['ws', 'http'] as const)
    for (const load of LOADS) {
      for (const protocol of order) {
        const key = `${load.name} | ${protocol}`
        results.set(key, [...(results.get(key) ?? []), await measure(clients[protocol], load)])
      }
    }
  }
  console.log(`sqld ${server.url}, @libsql/client 0.18.0, median of ${ROUNDS} rounds`)
  console.log('load                          | proto |    ops/s |  p50 ms |  p99 ms | errors (all rounds)')
  for (const [key, figures] of results) {
    const [load, protocol] = key.split(' | ')
    const cells = [
      load!.padEnd(29),
      protocol!.padEnd(5),
      median(figures.map((f) => f.opsPerSecond))
        .toFixed(0)
        .padStart(8),
      median(figures.map((f) => f.p50Ms))
        .toFixed(2)
        .padStart(7),
      median(figures.map((f) => f.p99Ms))
        .toFixed(2)
        .padStart(7),
      errorsOf(figures),
    ]
    console.log(cells.join(' | '))
  }
} finally {
  for (const client of Object.values(clients)) client.close()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
