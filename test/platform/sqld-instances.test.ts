/**
 * Two instances (real `bun src/main.ts` processes) on one libSQL server primary (sqld), each with its own embedded
 * replica file (DATABASE_URL=file:… + DATABASE_SYNC_URL): what a deployment that outgrew one machine relies on.
 * - health names the mode and the replica's lag;
 * - idempotency holds across instances: one key sent to both at once is one order;
 * - read-your-writes: the member who wrote reads the write at once on the instance that took it; an anonymous
 *   read on the other instance's replica lags, then converges (the lag is measured and printed);
 * - the primary stopped for 10 s: orders answer 503 SERVICE_UNAVAILABLE within DATABASE_TIMEOUT_MS (no hang, no
 *   500) while catalog reads keep being served from the replica; once it is back, orders succeed again without a
 *   restart.
 * The read cache is off, so a catalog read shows what the replica holds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  api,
  createBuyers,
  createProduct,
  errorLogLines,
  loginDemoSeller,
  orderBody,
  type ServerProcess,
  startServer,
} from '../support/server-process'
import { SERVICE_START_TIMEOUT_MS, useFreshSqld } from '../support/services'

const TIMEOUT_MS = 1_000
const SYNC_INTERVAL_MS = 200
const dir = mkdtempSync(join(tmpdir(), 'marketplace-sqld-instances-'))
const sqld = useFreshSqld()
const instances: ServerProcess[] = []
let seller = ''
let buyers: string[] = []

beforeAll(async () => {
  for (let i = 1; i <= 2; i++) {
    const instance = await startServer({
      dir,
      databaseFile: join(dir, `instance-${i}.db`),
      seedDemoData: i === 1,
      env: {
        DATABASE_SYNC_URL: sqld.primary.url,
        DATABASE_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
        DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
        CACHE_ENABLED: 'false',
      },
    })
    instances.push(instance)
  }
  seller = await loginDemoSeller(instances[0]!.baseUrl)
  buyers = await createBuyers(instances[1]!.baseUrl, 2, 'sqld-instances')
}, SERVICE_START_TIMEOUT_MS)

afterAll(async () => {
  const codes = await Promise.all(instances.map((instance) => instance.stop()))
  rmSync(dir, { recursive: true, force: true })
  expect(codes).toEqual([0, 0])
}, 60_000)

const [a, b] = [() => instances[0]!.baseUrl, () => instances[1]!.baseUrl]

describe('two instances on one sqld primary, an embedded replica each', () => {
  test('health shows the database mode and the replica lag', async () => {
    const token = process.env.MANAGEMENT_TOKEN // unset: the admin's token shows the components
    const admin = (
      await api(a(), 'POST', '/api/v1/auth/login', {
        body: { email: 'admin@example.com', password: 'admin123!' },
      })
    ).body.accessToken as string
    const res = await api(a(), 'GET', '/actuator/health', { token: token ?? admin })
    expect(res.status, res.text).toBe(200)
    expect(res.body.components.db.status).toBe('UP')
    expect(res.body.components.db.details.driver).toBe('embedded replica')
    expect(res.body.components.db.details.replicationLagMs).toBeGreaterThanOrEqual(0)
    expect(res.body.components.db.details.replicationLagMs).toBeLessThan(10 * SYNC_INTERVAL_MS)
  })

  test('one idempotency key sent to both instances at once: one order, the same answer twice', async () => {
    const product = await createProduct(a(), seller, { name: 'Idempotent', price: 1_000, stockQuantity: 10 })
    const send = (baseUrl: string) =>
      api(baseUrl, 'POST', '/api/v1/orders', {
        token: buyers[0],
        headers: { 'idempotency-key': 'across-instances-1' },
        body: orderBody([{ productId: product.id, quantity: 2 }]),
      })
    const answers = await Promise.all([send(a()), send(b()), send(a()), send(b())])

    expect(answers.map((res) => res.status)).toEqual([201, 201, 201, 201])
    expect(new Set(answers.map((res) => res.body.id)).size).toBe(1)
    const mine = await api(b(), 'GET', '/api/v1/orders', { token: buyers[0] })
    expect(mine.body.items.filter((o: { id: number }) => o.id === answers[0]!.body.id)).toHaveLength(1)
    const after = await api(a(), 'GET', `/api/v1/products/${product.id}`, { token: seller })
    expect(after.body.stockQuantity).toBe(8)
  })

  test("the writer reads its write at once; the other instance's replica lags, then converges", async () => {
    const product = await createProduct(a(), seller, { name: 'Before', price: 1_000, stockQuantity: 5 })
    await waitUntil(async () => (await api(b(), 'GET', `/api/v1/products/${product.id}`)).status === 200)
    const renamed = await api(a(), 'PATCH', `/api/v1/products/${product.id}`, {
      token: seller,
      body: { name: 'After' },
    })
    expect(renamed.status, renamed.text).toBe(200)
    const wroteAt = performance.now()

    // the writer, on the instance that took the write: the primary (read-your-writes), at once
    expect((await api(a(), 'GET', `/api/v1/products/${product.id}`, { token: seller })).body.name).toBe(
      'After',
    )
    // anyone, on the other instance: its replica, which shows the rename once it has synced
    let lagMs = 0
    await waitUntil(async () => {
      const name = (await api(b(), 'GET', `/api/v1/products/${product.id}`)).body.name
      lagMs = performance.now() - wroteAt
      return name === 'After'
    })
    console.log(
      `[sqld-instances] a rename reached the other instance's replica after ${Math.round(lagMs)} ms`,
    )
    expect(lagMs).toBeLessThan(5 * SYNC_INTERVAL_MS + 1_000)
  })

  test('the primary stopped for 10 s: orders 503 within DATABASE_TIMEOUT_MS, the catalog served from the replica, then recovery', async () => {
    const product = await createProduct(a(), seller, { name: 'Outage', price: 1_000, stockQuantity: 50 })
    await waitUntil(async () => (await api(b(), 'GET', `/api/v1/products/${product.id}`)).status === 200)
    const order = (baseUrl: string) =>
      api(baseUrl, 'POST', '/api/v1/orders', {
        token: buyers[1],
        body: orderBody([{ productId: product.id, quantity: 1 }]),
      })

    await sqld.primary.stop()
    const outage: { status: number; code: string; ms: number }[] = []
    const catalog: number[] = []
    const stoppedAt = performance.now()
    while (performance.now() - stoppedAt < 10_000) {
      const started = performance.now()
      const res = await order(outage.length % 2 === 0 ? a() : b())
      outage.push({ status: res.status, code: res.body?.code, ms: performance.now() - started })
      catalog.push((await api(b(), 'GET', `/api/v1/products/${product.id}`)).status)
      catalog.push((await api(a(), 'GET', '/api/v1/products?size=5')).status)
      await Bun.sleep(250)
    }
    await sqld.primary.start()
    const slowest = Math.max(...outage.map((o) => o.ms))
    console.log(
      `[sqld-instances] primary down 10 s: ${outage.length} orders, all ${outage[0]?.status}, slowest ` +
        `${Math.round(slowest)} ms (DATABASE_TIMEOUT_MS ${TIMEOUT_MS}); ${catalog.length} catalog reads`,
    )

    expect(new Set(outage.map((o) => `${o.status} ${o.code}`))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']))
    expect(slowest).toBeLessThan(TIMEOUT_MS + 500)
    expect(new Set(catalog)).toEqual(new Set([200]))
    // back without a restart: the next orders go through on both instances
    await waitUntil(async () => (await order(a())).status === 201)
    expect((await order(b())).status).toBe(201)
    for (const instance of instances) expect(errorLogLines(instance)).toEqual([])
  }, 60_000)

  test('a frozen primary (SIGSTOP: connections open, no answer) costs an order DATABASE_TIMEOUT_MS, then a 503', async () => {
    const product = await createProduct(a(), seller, { name: 'Frozen', price: 1_000, stockQuantity: 5 })
    sqld.primary.process.kill('SIGSTOP')
    const answers: { status: number; code: string; ms: number }[] = []
    try {
      for (const baseUrl of [a(), b(), a()]) {
        const started = performance.now()
        const res = await api(baseUrl, 'POST', '/api/v1/orders', {
          token: buyers[1],
          body: orderBody([{ productId: product.id, quantity: 1 }]),
        })
        answers.push({ status: res.status, code: res.body?.code, ms: performance.now() - started })
      }
    } finally {
      sqld.primary.process.kill('SIGCONT')
    }
    console.log(
      `[sqld-instances] frozen primary: ${answers.map((x) => `${x.status} in ${Math.round(x.ms)} ms`).join(', ')}`,
    )
    for (const answer of answers) {
      expect(`${answer.status} ${answer.code}`).toBe('503 SERVICE_UNAVAILABLE')
      expect(answer.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50) // it did wait for the server
      expect(answer.ms).toBeLessThan(TIMEOUT_MS + 500) // and not longer than the deadline
    }
    await waitUntil(
      async () => (await api(a(), 'GET', '/api/v1/orders', { token: buyers[1] })).status === 200,
    )
  }, 30_000)
})

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`)
    await Bun.sleep(20)
  }
}
