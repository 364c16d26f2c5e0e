/**
 * The embedded replica (src/platform/db/embedded-replica.ts) on a real sqld: bun:sqlite reading the replica file
 * while libSQL applies the primary's frames to it. The property that makes this read path acceptable:
 * under continuous writes and syncs, every read sees one consistent snapshot (a transfer between two accounts
 * never shows half done), no read goes back in time, nothing errors, and after `syncNow()` the primary's latest
 * write is visible. Syncs run off the event loop, even while the primary is away. Also the read speeds it is chosen
 * for (printed, not asserted).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'
import { type EmbeddedReplica, openEmbeddedReplica } from '../../src/platform/db/embedded-replica'
import { useFreshSqld } from '../support/services'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-embedded-replica-'))
const fresh = useFreshSqld()
let primary: Client
let replica: EmbeddedReplica

beforeAll(async () => {
  primary = createClient({ url: fresh.primary.url })
  await primary.batch(
    [
      'create table accounts (id integer primary key, balance integer not null)',
      'insert into accounts values (1, 1000), (2, 0)',
    ],
    'write',
  )
  replica = await openEmbeddedReplica({
    filePath: join(dir, 'replica', 'replica.db'),
    syncUrl: fresh.primary.url,
    authToken: undefined,
    syncIntervalMs: 20,
  })
}, 30_000)
afterAll(async () => {
  replica?.close()
  primary?.close()
  rmSync(dir, { recursive: true, force: true })
}, 15_000)

describe('embedded replica read through bun:sqlite', () => {
  test('reads during continuous writes and syncs: consistent snapshots, never back in time, no errors', async () => {
    let isWriting = true
    let transfers = 0
    const writer = (async () => {
      while (isWriting) {
        const amount = (transfers % 7) + 1
        await primary.batch(
          [
            { sql: 'update accounts set balance = balance - ? where id = 1', args: [amount] },
            { sql: 'update accounts set balance = balance + ? where id = 2', args: [amount] },
          ],
          'write',
        )
        transfers++
      }
    })()
    const read = replica.sqlite.query(
      'select sum(balance) as total, max(case when id = 2 then balance end) as moved from accounts',
    )
    let reads = 0
    let torn = 0
    let backwards = 0
    let errors = 0
    let last = -1
    const until = performance.now() + 3_000
    while (performance.now() < until) {
      for (let i = 0; i < 200; i++) {
        try {
          const row = read.get() as { total: number; moved: number }
          reads++
          if (row.total !== 1000) torn++
          if (row.moved < last) backwards++
          last = row.moved
        } catch {
          errors++
        }
      }
      await Bun.sleep(1) // the client's syncs and the writer run between batches of reads
    }
    isWriting = false
    await writer
    await replica.syncNow()
    const latest = (await primary.execute('select balance from accounts where id = 2')).rows[0]!.balance
    const seen = (
      replica.sqlite.query('select balance from accounts where id = 2').get() as { balance: number }
    ).balance
    console.log(
      `[replica] ${reads} reads during ${transfers} transfers: torn ${torn}, backwards ${backwards}, errors ${errors}`,
    )

    expect(transfers).toBeGreaterThan(100)
    expect(reads).toBeGreaterThan(10_000)
    expect({ torn, backwards, errors }).toEqual({ torn: 0, backwards: 0, errors: 0 })
    expect(last).toBeGreaterThan(0) // the reads followed the writes while they ran
    expect(seen).toBe(Number(latest))
  }, 30_000)

  test('a write on the primary is readable locally once syncNow resolves, even with a sync under way', async () => {
    const syncing = replica.syncNow() // started before the write: it may not bring it
    await primary.execute({ sql: 'insert into accounts values (?, ?)', args: [3, 0] })
    await replica.syncNow() // a sync that started after the write
    await syncing

    const local = replica.sqlite.query('select count(*) as n from accounts where id = 3').get() as {
      n: number
    }
    expect(local.n).toBe(1)
    expect(replica.lagMs()).toBeLessThan(1_000)
  })

  test('syncs run off the event loop: with the primary stopped, timers keep firing and reads are served', async () => {
    await fresh.primary.stop()
    try {
      // an event-loop monitor: the longest gap between 5 ms sleeps while the syncs fail
      let isMonitoring = true
      let worstGap = 0
      const monitor = (async () => {
        for (let last = performance.now(); isMonitoring; ) {
          await Bun.sleep(5)
          worstGap = Math.max(worstGap, performance.now() - last)
          last = performance.now()
          replica.sqlite.query('select count(*) as n from accounts').get() // the replica still answers
        }
      })()
      const started = performance.now()
      const failures = await Promise.allSettled(Array.from({ length: 5 }, () => replica.syncNow()))
      const elapsed = performance.now() - started
      isMonitoring = false
      await monitor
      console.log(
        `[replica] primary stopped: syncs failed after ${Math.round(elapsed)} ms, ` +
          `worst event-loop gap meanwhile ${worstGap.toFixed(1)} ms`,
      )
      expect(failures.every((f) => f.status === 'rejected')).toBe(true)
      expect(elapsed).toBeGreaterThan(100) // the failing syncs took a while: the gap was measured across them
      expect(worstGap).toBeLessThan(100)
    } finally {
      await fresh.primary.start()
    }
    await replica.syncNow() // and it syncs again once the primary is back
  }, 30_000)

  test('read speed: bun:sqlite on the replica file against @libsql/client reading the same file (printed)', async () => {
    const client = createClient({ url: `file:${join(dir, 'replica', 'replica.db')}` })
    const byBun = replica.sqlite.query('select * from accounts where id = ?')
    let started = performance.now()
    for (let i = 0; i < 50_000; i++) byBun.get(1)
    const bunPerSecond = 50_000 / ((performance.now() - started) / 1000)
    started = performance.now()
    for (let i = 0; i < 2_000; i++)
      await client.execute({ sql: 'select * from accounts where id = ?', args: [1] })
    client.close()
    const clientPerSecond = 2_000 / ((performance.now() - started) / 1000)
    console.log(
      `[replica] PK reads/s: bun:sqlite ${Math.round(bunPerSecond)}, @libsql/client ${Math.round(clientPerSecond)} (${(bunPerSecond / clientPerSecond).toFixed(0)}×)`,
    )
    expect(bunPerSecond).toBeGreaterThan(0)
  })
})
