/**
 * The remote primary (src/platform/db/remote-database.ts) against a real libSQL server (sqld): migrations applied
 * once when two instances start together, a refused token stopping the start with a clear message, the batch as
 * the unit of atomicity (a failing CHECK rolls the whole batch back, so concurrent batches never oversell), and a
 * frozen server costing a call its deadline, then a 503, never a hang.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { members, products } from '../../db/schema'
import { appErrorIn } from '../../src/errors'
import { embeddedMigrations } from '../../src/platform/db/migrations'
import { openRemoteDatabase, type RemoteDatabaseHandle } from '../../src/platform/db/remote-database'
import { useFreshSqld } from '../support/services'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-remote-db-'))
const fresh = useFreshSqld()
const opened: RemoteDatabaseHandle[] = []
const open = async (url: string, authToken?: string, timeoutMs = 2_000) => {
  const handle = await openRemoteDatabase({ url, authToken, timeoutMs })
  opened.push(handle)
  return handle
}

beforeAll(async () => {}, 30_000)
afterAll(async () => {
  for (const handle of opened) handle.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('remote primary on sqld', () => {
  test('two instances starting together apply every migration exactly once', async () => {
    const [a] = await Promise.all([open(fresh.primary.url.replace('http', 'ws')), open(fresh.primary.url)])

    const rows = await a!.client.execute('select hash from __drizzle_migrations')
    expect(rows.rows.map((row) => row.hash)).toEqual(embeddedMigrations().map((m) => m.hash))
    const tables = await a!.client.execute(
      "select count(*) as n from sqlite_master where type = 'table' and name in ('orders', 'order_parts')",
    )
    expect(Number(tables.rows[0]!.n)).toBe(2)
  })

  test('concurrent order-like batches on stock 5: exactly 5 commit, the rest roll back whole', async () => {
    const db = (await open(fresh.primary.url.replace('http', 'ws'))).db
    await db.insert(members).values({
      id: 900,
      email: 'remote-seller@example.com',
      passwordHash: 'x',
      name: 'Remote seller',
      role: 'SELLER',
      businessNumber: '1',
    })
    await db.insert(products).values({ id: 900, sellerId: 900, name: 'Hot', price: 10, stockQuantity: 5 })

    const attempts = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        db.batch([
          db
            .update(products)
            .set({ salesCount: sql`${products.salesCount} + 1` })
            .where(eq(products.id, 900)),
          // the unconditional decrement: below zero, the CHECK fails and takes the sales count back with it
          db
            .update(products)
            .set({ stockQuantity: sql`${products.stockQuantity} - 1` })
            .where(eq(products.id, 900)),
        ]),
      ),
    )

    const [row] = await db.select().from(products).where(eq(products.id, 900))
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(5)
    expect({ stock: row!.stockQuantity, sales: row!.salesCount }).toEqual({ stock: 0, sales: 5 })
  })

  test('a frozen server costs a call its deadline, then a 503 SERVICE_UNAVAILABLE; it works again after', async () => {
    const handle = await open(fresh.primary.url.replace('http', 'ws'), undefined, 500)
    fresh.primary.process.kill('SIGSTOP')
    const started = performance.now()
    let error: unknown
    try {
      await handle.db.select().from(products).limit(1)
    } catch (caught) {
      error = caught
    } finally {
      fresh.primary.process.kill('SIGCONT')
    }
    const elapsed = performance.now() - started

    // Drizzle wraps what its driver throws; the problem handler finds the 503 inside (appErrorIn)
    expect(appErrorIn(error)?.code).toBe('SERVICE_UNAVAILABLE')
    expect(elapsed).toBeLessThan(2_000) // the deadline, not a hang (the deadline is 500 ms)
    expect(await handle.db.select().from(products).limit(1)).toHaveLength(1)
  })
})

describe('remote primary with JWT auth (as on Turso)', () => {
  const secured = useFreshSqld({ isAuthRequired: true })

  test('a signed token opens and migrates; a missing or wrong token stops the start with a clear message', async () => {
    const token = secured.authToken!
    const ok = await open(secured.primary.url, token)
    const attempt = (authToken: string | undefined) =>
      openRemoteDatabase({ url: secured.primary.url, authToken, timeoutMs: 2_000 })

    expect(await ok.ping()).toBe(true)
    await expect(attempt(undefined)).rejects.toThrow(/refused the credentials.*DATABASE_AUTH_TOKEN/)
    await expect(attempt(`${token}x`)).rejects.toThrow(/refused the credentials.*DATABASE_AUTH_TOKEN/)
  })
})
