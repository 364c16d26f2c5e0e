/**
 * Real servers for load tests: `bun src/main.ts` as child processes on one database file, plain `fetch` against
 * them, and the helpers every concurrency test needs (buyer accounts, a bounded in-flight pool, a read-only
 * SQLite connection that reads the ledger straight from the file while the servers write it).
 */

import { Database } from 'bun:sqlite'
import { expect } from 'bun:test'
import { join } from 'node:path'
import { createClient } from '@libsql/client'
import { DEMO, TEST_JWT_SECRET } from './harness'
import { MAIN_ENTRY } from './paths'
import { waitForOutput } from './process-output'

export type ServerProcess = {
  baseUrl: string
  /** Everything the process printed so far (pino JSON lines, plus stderr). */
  output(): string
  /** SIGTERM, then the exit code (-1: it had to be killed). */
  stop(): Promise<number>
  /** SIGKILL, a crash: no drain, no cleanup; resolves once the process is gone. */
  kill(): Promise<void>
}

/**
 * Starts one server on `databaseFile` and resolves once it listens. LOG_LEVEL is info, not warn: the port
 * (PORT=0) is only known from the "listening" line. The access log samples no request (load tests send
 * thousands), so info prints the lifecycle lines and only the requests that answered 5xx or were slow.
 */
/**
 * How long a test waits before holding one instance's reads to another instance's writes: cache invalidations
 * travel by Redis pub/sub (sub-millisecond when idle; generous because load tests saturate both event loops).
 */
export const CACHE_PROPAGATION_MS = 250

export async function startServer(options: {
  dir: string
  databaseFile: string
  seedDemoData: boolean
  /** extra variables (e.g. REDIS_URL for several instances that share a cache) */
  env?: Record<string, string>
}): Promise<ServerProcess> {
  const child = Bun.spawn(['bun', MAIN_ENTRY], {
    cwd: options.dir,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `file:${options.databaseFile}`,
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      SEED_DEMO_DATA: String(options.seedDemoData),
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      LOG_LEVEL: 'info',
      ACCESS_LOG_SAMPLE_PERCENT: '0',
      UPLOAD_DIR: join(options.dir, 'uploads'),
      // load tests place hundreds of orders per second per buyer from one IP: the limits would refuse them
      RATE_LIMIT_ORDERS_PER_SECOND: '0',
      RATE_LIMIT_IP_PER_SECOND: '0',
      // and sign up dozens of buyers from that IP
      SIGNUP_MAX_PER_IP: '0',
      ...options.env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let printed = ''
  const [forPort, forLog] = (child.stdout as ReadableStream<Uint8Array>).tee()
  void collect(forLog, (text) => {
    printed += text
  })
  void collect(child.stderr as ReadableStream<Uint8Array>, (text) => {
    printed += text
  })
  const [, port] = await waitForOutput(forPort, /"port":(\d+)[^\n]*listening/)
  // A server that dies under load must not fail silently as a connection error: say so, with its output.
  let isStopping = false
  void child.exited.then((code) => {
    if (!isStopping) console.error(`server on port ${port} exited with ${code} mid-test:\n${printed}`)
  })
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => printed,
    async stop() {
      isStopping = true
      child.kill('SIGTERM')
      const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => -1)])
      if (code === -1) child.kill('SIGKILL')
      return code
    },
    async kill() {
      isStopping = true
      child.kill('SIGKILL')
      await child.exited
    },
  }
}

async function collect(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder()
  for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }))
}

/** pino lines at error (50) or fatal (60): an unhandled error inside a server. */
export function errorLogLines(server: ServerProcess): string[] {
  return server
    .output()
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line))
}

export type ApiResponse = { status: number; body: any; text: string }

/** One JSON request; a network failure answers status 0 (counted by the tests, never thrown). */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
    const text = await response.text()
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    return { status: response.status, body, text }
  } catch (error) {
    return { status: 0, body: undefined, text: String(error) }
  }
}

/** Runs `work` over `items` with at most `limit` promises in flight; results in item order. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/**
 * For setup calls only, never for the requests under test: one retry when the connection was reset before any
 * answer (seen once here during signup; Bun 1.4 has had keep-alive reuse resets, oven-sh/bun#42212).
 */
async function apiForSetup(...args: Parameters<typeof api>): Promise<ApiResponse> {
  const first = await api(...args)
  return first.status === 0 ? api(...args) : first
}

export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await apiForSetup(baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password } })
  expect(res.status, res.text).toBe(200)
  return res.body.accessToken as string
}

export const loginDemoSeller = (baseUrl: string) => login(baseUrl, DEMO.seller.email, DEMO.seller.password)

/** `count` new buyers (signup + login; argon2id costs tens of ms each, so a few at a time). Access tokens. */
export async function createBuyers(baseUrl: string, count: number, tag: string): Promise<string[]> {
  return inParallel(
    Array.from({ length: count }, (_, i) => `buyer-${tag}-${i}@example.com`),
    8,
    async (email) => {
      const body = { email, password: 'password123', name: `Buyer ${email}`, role: 'BUYER' }
      const signup = await apiForSetup(baseUrl, 'POST', '/api/v1/auth/signup', { body })
      // 409: a retried signup whose first attempt had been answered into a reset connection
      expect([201, 409], signup.text).toContain(signup.status)
      return login(baseUrl, email, 'password123')
    },
  )
}

export async function createProduct(
  baseUrl: string,
  sellerToken: string,
  fields: { name: string; price: number; stockQuantity: number },
): Promise<{ id: number; version: number }> {
  const res = await apiForSetup(baseUrl, 'POST', '/api/v1/products', {
    token: sellerToken,
    body: { ...fields, status: 'ON_SALE' },
  })
  expect(res.status, res.text).toBe(201)
  return res.body
}

export const SHIPPING = {
  zipCode: '06236',
  address: '123 Teheran-ro, Gangnam-gu, Seoul',
  receiverName: 'Load Tester',
  receiverPhone: '010-1234-5678',
}

export const orderBody = (lines: { productId: number; quantity: number }[]) => ({
  orderItems: lines,
  shippingAddress: SHIPPING,
})

export const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1))

/** Reads the stock ledger while servers write it: from the SQLite file, or from the libSQL primary. */
export type LedgerReader = {
  read(productIds: number[]): Promise<LedgerRow[]>
  /** One value from one statement, e.g. an outbox or order count. */
  count(query: string, ...params: (string | number)[]): Promise<number>
  close(): void
}

export type LedgerRow = { id: number; remaining: number; salesCount: number; sold: number; status: string }

/**
 * The ledger of `productIds` in ONE statement, so one consistent snapshot: remaining stock, the product's
 * salesCount, and sold = the quantities of its lines in orders not cancelled.
 */
const ledgerSql = (ids: number[]) => `
    select p.id as id, p.stock_quantity as remaining, p.sales_count as salesCount, p.status as status,
      coalesce((select sum(oi.quantity) from order_items oi join orders o on o.id = oi.order_id
                where oi.product_id = p.id and o.status <> 'CANCELLED'), 0) as sold
    from products p where p.id in (${ids.map(Number).join(',')}) order by p.id`

/** From the file, through a read-only connection of its own (WAL: one snapshot per statement). */
export function openLedgerReader(databaseFile: string): LedgerReader {
  const db = new Database(databaseFile, { readonly: true })
  db.run('PRAGMA busy_timeout = 5000')
  return {
    read: async (productIds) => db.query(ledgerSql(productIds)).all() as LedgerRow[],
    count: async (query, ...params) => (db.query(query).get(...params) as { n: number }).n,
    close: () => db.close(),
  }
}

/** From the libSQL server primary (sqld): each read one statement, so one snapshot of the primary. */
export function openRemoteLedgerReader(url: string): LedgerReader {
  // a read that never answers fails the read (and the test) instead of hanging it
  const client = createClient({
    url,
    fetch: (input: string | URL | Request, init: RequestInit = {}) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(10_000) }),
  })
  const numbers = (row: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))
  return {
    read: async (productIds) =>
      (await client.execute(ledgerSql(productIds))).rows.map((row) => numbers({ ...row })) as LedgerRow[],
    count: async (query, ...params) =>
      Number((await client.execute({ sql: query, args: params })).rows[0]!.n),
    close: () => client.close(),
  }
}

/** Status tally of a run: `{ "201": 83, "409 PRODUCT_OUT_OF_STOCK": 917 }`. */
export function tally(responses: ApiResponse[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const res of responses) {
    const key = res.status >= 400 && res.body?.code ? `${res.status} ${res.body.code}` : String(res.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

export const countServerErrors = (responses: ApiResponse[]) =>
  responses.filter((r) => r.status >= 500 || r.status === 0).length
