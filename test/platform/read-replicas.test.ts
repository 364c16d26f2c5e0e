/**
 * The read/write routing contract (issue 3, SPEC §2 replicas), tested locally as INFRA.md suggests: real
 * replication needs a sqld/Turso primary, which these machines cannot run. The replica here is a snapshot file
 * (VACUUM INTO) that lags until the test "replicates" it with sync(); the app reads it through a read-only
 * connection. A stale read proves a route used the replica; a fresh one right after the reader's own write
 * proves read-your-writes; every write succeeding proves none was routed to the read-only replica.
 *
 * Routing is tested with the read cache off (CACHE_ENABLED=false): with it on, product detail, popular and
 * categories are filled from the primary (a lagging replica must not be frozen into the cache), which the last
 * block shows.
 */
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config'
import { seedDemoData } from '../../src/demo-data'
import { openDatabase, openReadReplica } from '../../src/platform/db/database'
import { createTestApp, DEMO, useTestApp } from '../support/harness'

const READ_YOUR_WRITES_MS = 1_500
const dir = mkdtempSync(join(tmpdir(), 'marketplace-replicas-'))
const primaryFile = join(dir, 'primary.db')
const replicaFile = join(dir, 'replica.db')

/** Brings the snapshot replica up to date with the primary, as a replication process would. */
function syncReplica(): void {
  const writer = new Database(replicaFile)
  writer.run(`ATTACH DATABASE '${primaryFile}' AS src`)
  const tables = writer
    .query("select name from src.sqlite_master where type = 'table' and name not like 'sqlite_%'")
    .all() as { name: string }[]
  writer.transaction(() => {
    for (const { name } of tables) {
      writer.run(`DELETE FROM main."${name}"`)
      writer.run(`INSERT INTO main."${name}" SELECT * FROM src."${name}"`)
    }
  })()
  writer.run('DETACH DATABASE src')
  writer.close()
}

// before the app's hook (hooks run in the order they are declared): the primary, seeded, and its snapshot
beforeAll(async () => {
  const primary = openDatabase(primaryFile)
  await seedDemoData({ mode: 'file', local: primary, replicas: [] })
  primary.sqlite.run(`VACUUM INTO '${replicaFile}'`)
  primary.close()
})
const { t, tokens } = useTestApp(
  {
    DATABASE_URL: `file:${primaryFile}`,
    DATABASE_REPLICA_URLS: `file:${replicaFile}`,
    DATABASE_READ_YOUR_WRITES_MS: String(READ_YOUR_WRITES_MS),
    CACHE_ENABLED: 'false',
  },
  { tokens: true },
)
beforeAll(() => {
  syncReplica() // the personas signed up: start from a replica that has caught up
})
afterAll(() => rmSync(dir, { recursive: true, force: true })) // after the app's close, declared after it

const nameOf = async (token?: string) => (await t.request('GET', '/api/v1/products/1', { token })).body.name
const rename = (name: string) =>
  t.request('PATCH', '/api/v1/products/1', { token: tokens.seller, body: { name } })

describe('configuration', () => {
  test('next to a local file, DATABASE_REPLICA_URLS takes a comma-separated list of file: URLs only', () => {
    const base = { JWT_SECRET: 'x'.repeat(40) }
    expect(
      loadConfig({ ...base, DATABASE_REPLICA_URLS: 'file:/a.db, file:/b.db' }).database.replicaUrls,
    ).toEqual(['file:/a.db', 'file:/b.db'])
    expect(() => loadConfig({ ...base, DATABASE_REPLICA_URLS: 'file:/a.db,libsql://x.turso.io' })).toThrow(
      /DATABASE_REPLICA_URLS=\(redacted\): entry 2: next to a local file primary, replicas are file: URLs/,
    )
  })

  test('a replica connection is read-only: a write through it fails with SQLITE_READONLY', () => {
    const replica = openReadReplica(primaryFile)
    expect(() => replica.sqlite.run("update products set name = 'x' where id = 1")).toThrow(/readonly/i)
    replica.close()
  })
})

describe('routing', () => {
  test('anonymous and other users read the replica: a write shows only after replication', async () => {
    const before = await nameOf()
    expect((await rename('Laptop, renamed')).status).toBe(200)

    expect(await nameOf()).toBe(before)
    expect(await nameOf(tokens.buyer)).toBe(before)
    syncReplica()
    expect(await nameOf()).toBe('Laptop, renamed')
  })

  test('the writer reads the primary right after its own write (read-your-writes), then the replica again', async () => {
    expect((await rename('Laptop v2')).status).toBe(200)
    expect(await nameOf(tokens.seller)).toBe('Laptop v2')
    expect(await nameOf()).not.toBe('Laptop v2')

    await Bun.sleep(READ_YOUR_WRITES_MS + 200)
    expect(await nameOf(tokens.seller)).not.toBe('Laptop v2') // window over: replica, still behind
    syncReplica()
    expect(await nameOf(tokens.seller)).toBe('Laptop v2')
  })

  test('a buyer sees the stock their order took at once; the public sees it after replication', async () => {
    syncReplica()
    const stock = async (token?: string) =>
      (await t.request('GET', '/api/v1/products/2', { token })).body.stockQuantity as number
    const initial = await stock()
    const order = await t.request('POST', '/api/v1/orders', {
      token: tokens.otherBuyer,
      body: {
        orderItems: [{ productId: 2, quantity: 3 }],
        shippingAddress: {
          zipCode: '06236',
          address: 'Seoul',
          receiverName: 'Kim',
          receiverPhone: '010-1234-5678',
        },
      },
    })
    expect(order.status, order.text).toBe(201)

    expect(await stock(tokens.otherBuyer)).toBe(initial - 3)
    expect(await stock()).toBe(initial)
    syncReplica()
    expect(await stock()).toBe(initial - 3)
  })

  test('search, cursor pages and categories read the replica too', async () => {
    const created = await t.request('POST', '/api/v1/products', {
      token: tokens.otherSeller,
      body: { name: 'Replica probe', price: 1000, stockQuantity: 5, status: 'ON_SALE' },
    })
    expect(created.status, created.text).toBe(201)
    const category = await t.request('POST', '/api/v1/admin/categories', {
      token: tokens.admin,
      body: { name: 'Lagging' },
    })
    expect(category.status, category.text).toBe(201)

    const search = () => t.request('GET', '/api/v1/products?keyword=Replica%20probe')
    const cursor = () => t.request('GET', '/api/v1/products/cursor?keyword=Replica%20probe')
    const categoryNames = async () =>
      (await t.request('GET', '/api/v1/categories')).body.map((c: { name: string }) => c.name)
    expect((await search()).body.items).toHaveLength(0)
    expect((await cursor()).body.items).toHaveLength(0)
    expect(await categoryNames()).not.toContain('Lagging')

    syncReplica()
    expect((await search()).body.items).toHaveLength(1)
    expect((await cursor()).body.items).toHaveLength(1)
    expect(await categoryNames()).toContain('Lagging')
  })

  test("a seller's own product list always reads the primary", async () => {
    const created = await t.request('POST', '/api/v1/products', {
      token: tokens.seller,
      body: { name: 'Own list probe', price: 1000, stockQuantity: 1, status: 'DRAFT' },
    })
    await Bun.sleep(READ_YOUR_WRITES_MS + 200)
    const mine = await t.request('GET', '/api/v1/sellers/me/products?size=100', { token: tokens.seller })
    expect(mine.body.items.map((p: { id: number }) => p.id)).toContain(created.body.id)
  })

  test('health reports the replicas component', async () => {
    const health = await t.request('GET', '/actuator/health', { token: tokens.admin })
    expect(health.body.components.replicas).toEqual({ status: 'UP', details: { up: 1, total: 1 } })
  })
})

describe('with the read cache on', () => {
  test('cached reads fill from the primary: fresh for everyone at once, however far the replica lags', async () => {
    const cached = await createTestApp({
      DATABASE_URL: `file:${primaryFile}`,
      DATABASE_REPLICA_URLS: `file:${replicaFile}`,
    })
    try {
      const sellerToken = await cached.login(DEMO.seller.email, DEMO.seller.password)
      const read = async (path: string) => (await cached.request('GET', path)).body
      expect((await read('/api/v1/products/1')).name).toBeString() // now cached
      const renamed = await cached.request('PATCH', '/api/v1/products/1', {
        token: sellerToken,
        body: { name: 'Laptop, cached' },
      })
      expect(renamed.status, renamed.text).toBe(200)
      expect((await read('/api/v1/products/1')).name).toBe('Laptop, cached')
      expect((await read('/api/v1/products/popular')).map((p: { name: string }) => p.name)).toContain(
        'Laptop, cached',
      )
      // the replica still has the old name: only the primary could have answered
      const replica = openReadReplica(replicaFile)
      expect(replica.sqlite.query('select name from products where id = 1').get()).not.toEqual({
        name: 'Laptop, cached',
      })
      replica.close()
    } finally {
      await cached.close()
    }
  })
})
