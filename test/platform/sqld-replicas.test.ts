/**
 * DATABASE_REPLICA_URLS naming a sqld replica (a sqld started with --primary-grpc-url) next to a sqld primary:
 * public catalog reads go to the replica, a member who just wrote reads the primary (read-your-writes), and the
 * replica's lag behind the primary is measured. The read cache is off, so each read shows where it was served.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, DEMO, type TestApp } from '../support/harness'
import { useFreshSqld } from '../support/services'

const TIMEOUT_MS = 800
const sqld = useFreshSqld()
let t: TestApp
let seller = ''
let admin = ''

beforeAll(async () => {
  t = await createTestApp({
    DATABASE_URL: sqld.primary.url,
    DATABASE_REPLICA_URLS: sqld.replica.url,
    DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
    CACHE_ENABLED: 'false',
  })
  seller = await t.login(DEMO.seller.email, DEMO.seller.password)
  admin = await t.login(DEMO.admin.email, DEMO.admin.password)
}, 60_000)
afterAll(() => t?.close())

const nameOf = async (token?: string) => (await t.request('GET', '/api/v1/products/1', { token })).body.name

describe('a sqld primary with a sqld replica', () => {
  test('health: the remote mode, and the replica answering', async () => {
    const health = await t.request('GET', '/actuator/health', { token: admin })
    expect(health.body.components.db).toEqual({ status: 'UP', details: { driver: 'libsql remote' } })
    expect(health.body.components.replicas).toEqual({ status: 'UP', details: { up: 1, total: 1 } })
  })

  test('the writer reads its rename at once; everyone else once the replica has it (lag measured)', async () => {
    const renamed = await t.request('PATCH', '/api/v1/products/1', {
      token: seller,
      body: { name: 'Replicated' },
    })
    expect(renamed.status, renamed.text).toBe(200)
    const wroteAt = performance.now()

    expect(await nameOf(seller)).toBe('Replicated')
    let seen = await nameOf()
    while (seen !== 'Replicated' && performance.now() - wroteAt < 5_000) {
      await Bun.sleep(5)
      seen = await nameOf()
    }
    console.log(
      `[sqld-replicas] the replica showed the rename ${Math.round(performance.now() - wroteAt)} ms after it`,
    )
    expect(seen).toBe('Replicated')
  })

  test('public reads really are served by the replica: frozen, they fail with a 503 while the writer is served', async () => {
    await t.request('PATCH', '/api/v1/products/1', { token: seller, body: { name: 'Frozen replica' } })
    sqld.replica.process.kill('SIGSTOP')
    try {
      const started = performance.now()
      const anonymous = await t.request('GET', '/api/v1/products/1')
      const elapsed = performance.now() - started
      expect(anonymous.status, anonymous.text).toBe(503)
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 500)
      expect(await nameOf(seller)).toBe('Frozen replica') // read-your-writes: the primary
    } finally {
      sqld.replica.process.kill('SIGCONT')
    }
  }, 30_000)
})
