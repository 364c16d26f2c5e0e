/**
 * Lab `replica` (the guide's Phase 5, "Read Replica", and its question on replication lag): a seller changes a
 * product's price and reads it back at once, many times, on a real libSQL server primary (sqld) with a sqld replica
 * that follows it over gRPC — the app in its libSQL server mode (DATABASE_URL = the primary,
 * DATABASE_REPLICA_URLS = the replica), started by the project's tooling (scripts/sqld.ts) on free ports. Twice: the
 * replica on the same machine (its natural lag), and the replica 50 ms away (each way) — a real delay on its
 * replication link (delayed-link.ts), as across regions; sqld has no sync interval of its own to stretch.
 * (a) deliberately naive, here in the lab only: the read-back goes straight to the replica, as a read/write split
 *     that sends every SELECT to a replica does;
 * (b) the project's way: the read-back is `GET /api/v1/products/:id` through the app, whose read router
 *     (src/platform/db/read-routing.ts) sends a member's catalog reads to the primary for
 *     DATABASE_READ_YOUR_WRITES_MS after their write; the same GET by an anonymous reader at the same moment still
 *     goes to the replica, which shows the replica was behind all along.
 * A stale read-back is read again until the new price shows; "ms stale" is from the write's answer to that read.
 * The read cache is off (CACHE_ENABLED=false) so each read is served where the router sends it (with it on, a
 * product is loaded from the primary into the cache). No local mode fallback: a `file:` replica is a read-only
 * connection to the primary's own WAL file and never lags, so there would be nothing to measure.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'
import { findSqld, type SqldServer, sqldDirIn, startSqld } from '../scripts/sqld'
import { type DelayedLink, openDelayedLink } from './delayed-link'
import type { Lab } from './lab'
import { openLabApp } from './lab-app'
import { type Measured, type Outcome, type Placement, resultOf, type Way } from './replica-result'

/** one way, on the replication link of the far replica */
const FAR_DELAY_MS = 50
/** the seller's Laptop (db/demo-data.ts) */
const PRODUCT_ID = 1
/** a replica that has not shown a write after this long is broken, not lagging */
const CATCH_UP_LIMIT_MS = 10_000

const PLACEMENTS: Placement[] = [
  { name: { en: 'same machine', ko: '같은 머신' }, delayMs: 0 },
  { name: { en: `${FAR_DELAY_MS} ms away`, ko: `${FAR_DELAY_MS} ms 거리` }, delayMs: FAR_DELAY_MS },
]

export const replicaLab: Lab = {
  name: 'replica',
  title: { en: 'Read-your-writes vs a lagging replica', ko: '지연되는 레플리카와 자기 쓰기 읽기' },
  async run({ isFast }) {
    requireSqld()
    const attempts = isFast ? 8 : 40
    const home = mkdtempSync(join(tmpdir(), 'marketplace-lab-replica-'))
    const servers: SqldServer[] = []
    const links: DelayedLink[] = []
    try {
      const primary = await startSqld({ dir: sqldDirIn(home, 'primary') })
      servers.push(primary)
      const measured: Measured = { outcomes: [], readYourWritesMs: 0 }
      for (const [index, placement] of PLACEMENTS.entries()) {
        let primaryGrpcUrl = primary.grpcUrl!
        if (placement.delayMs > 0) {
          const link = await openDelayedLink(
            { host: '127.0.0.1', port: Number(new URL(primaryGrpcUrl).port) },
            placement.delayMs,
          )
          links.push(link)
          primaryGrpcUrl = link.url
        }
        const replica = await startSqld({ dir: sqldDirIn(home, `replica-${index}`), primaryGrpcUrl })
        servers.push(replica)
        await measurePlacement(primary.url, replica.url, placement, { attempts, measured })
      }
      return resultOf(measured, attempts)
    } finally {
      for (const server of servers.reverse()) await server.stop()
      for (const link of links) await link.close()
      rmSync(home, { recursive: true, force: true })
    }
  },
}

function requireSqld(): void {
  try {
    findSqld()
  } catch (error) {
    throw new Error(
      'lab replica runs on a real libSQL server primary and replica (a local file has no lagging replica to ' +
        `measure): ${(error as Error).message}`,
    )
  }
}

/** Every way, `attempts` write-then-read-backs each, with the replica at `placement`; added to `measured`. */
async function measurePlacement(
  primaryUrl: string,
  replicaUrl: string,
  placement: Placement,
  { attempts, measured }: { attempts: number; measured: Measured },
): Promise<void> {
  // the read cache and the per-address limit off: every read goes where the router sends it, and the lab's
  // read-backs are not refused as a flood
  const app = await openLabApp({
    DATABASE_URL: primaryUrl,
    DATABASE_REPLICA_URLS: replicaUrl,
    CACHE_ENABLED: 'false',
    RATE_LIMIT_IP_PER_SECOND: '0',
  })
  measured.readYourWritesMs = app.deps.config.readYourWritesMs
  // the naive read/write split's own connection to the replica
  const replica = createClient({ url: replicaUrl })
  try {
    const token = await app.loginAs('SELLER')
    let price = 100_000 + placement.delayMs * 1_000
    const writePrice = async () => {
      price += 1
      const res = await app.request('PATCH', `/api/v1/products/${PRODUCT_ID}`, { token, body: { price } })
      if (res.status !== 200) throw new Error(`PATCH product: ${res.status} ${JSON.stringify(res.body)}`)
      return { price, wroteAt: performance.now() }
    }
    const replicaPrice = () => priceOnReplica(replica)
    const appPrice = (viewerToken?: string) => async () => {
      const res = await app.request('GET', `/api/v1/products/${PRODUCT_ID}`, { token: viewerToken })
      if (res.status !== 200) throw new Error(`GET product: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body.price as number
    }
    // not counted: the replica has the schema and the seeded rows, every connection is open
    const warmUp = await writePrice()
    await staleFor(replicaPrice, warmUp.price, warmUp.wroteAt)
    await staleFor(appPrice(), warmUp.price, warmUp.wroteAt)

    const outcome = (way: Way): Outcome => ({ way, placement, staleMs: [] })
    const [naive, ours, others] = [outcome('naive'), outcome('ours'), outcome('others')]
    for (let i = 0; i < attempts; i++) {
      const written = await writePrice()
      naive.staleMs.push(await staleFor(replicaPrice, written.price, written.wroteAt))
    }
    for (let i = 0; i < attempts; i++) {
      const written = await writePrice()
      ours.staleMs.push(await staleFor(appPrice(token), written.price, written.wroteAt))
      others.staleMs.push(await staleFor(appPrice(), written.price, written.wroteAt))
    }
    measured.outcomes.push(naive, ours, others)
  } finally {
    replica.close()
    await app.close()
  }
}

/** The price on the replica; undefined while it has not replicated the table yet. */
async function priceOnReplica(replica: Client): Promise<number | undefined> {
  try {
    const result = await replica.execute({
      sql: 'select price from products where id = ?',
      args: [PRODUCT_ID],
    })
    return Number(result.rows[0]?.price)
  } catch (error) {
    if ((error as Error).message.includes('no such table')) return undefined
    throw error
  }
}

/**
 * Reads until `read` shows `expected`: 0 if the first read did, else the ms from `wroteAt` (the write's answer) to
 * the first read that did.
 */
async function staleFor(read: () => Promise<number | undefined>, expected: number, wroteAt: number) {
  if ((await read()) === expected) return 0
  for (;;) {
    if ((await read()) === expected) return performance.now() - wroteAt
    if (performance.now() - wroteAt > CATCH_UP_LIMIT_MS)
      throw new Error(`the replica did not show price ${expected} within ${CATCH_UP_LIMIT_MS} ms`)
  }
}
