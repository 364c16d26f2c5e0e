/**
 * A Turso-style embedded replica: a local file that `@libsql/client` keeps in step with a remote primary (sqld or
 * Turso) by pulling its WAL frames (`sync()`, and every DATABASE_SYNC_INTERVAL_MS), while writes go to the
 * primary. Reads do not go through the client: a read-only bun:sqlite connection reads the same file, an order
 * of magnitude faster than the client's own reads (docs/performance.md), and test/platform/embedded-replica.test.ts proves
 * it safe: while frames are applied, every read sees one consistent snapshot (never a torn or corrupt page), reads
 * never go back in time, and a `sync()` makes the primary's latest writes visible.
 *
 * Read-your-writes for the writer: the caller syncs after its write (`syncNow`) when its next read must see it;
 * everyone else sees it within the sync interval (the replica's lag, measured by `lagMs`).
 */
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { type Client, createClient } from '@libsql/client'

export type EmbeddedReplicaSettings = {
  /** the local replica file */
  filePath: string
  /** the primary the frames come from (http(s)://, libsql://) */
  syncUrl: string
  authToken: string | undefined
  syncIntervalMs: number
}

export type EmbeddedReplica = {
  /** writes (forwarded to the primary) and sync */
  client: Client
  /** read-only local reads of the replica file */
  sqlite: Database
  /** pulls the primary's new frames now; resolves once they are readable locally */
  syncNow(): Promise<void>
  /** ms since the last sync that completed (what a reader that did not sync may be behind by, at most) */
  lagMs(): number
  close(): void
}

export async function openEmbeddedReplica(settings: EmbeddedReplicaSettings): Promise<EmbeddedReplica> {
  mkdirSync(dirname(settings.filePath), { recursive: true })
  const client = createClient({
    url: `file:${settings.filePath}`,
    syncUrl: settings.syncUrl,
    authToken: settings.authToken,
  })
  let lastSyncAt = 0
  let syncing: Promise<void> | undefined
  const syncNow = () => {
    // one sync at a time; callers that arrive meanwhile share it
    syncing ??= client
      .sync()
      .then(() => {
        lastSyncAt = Date.now()
      })
      .finally(() => {
        syncing = undefined
      })
    return syncing
  }
  await syncNow()
  const sqlite = new Database(settings.filePath, { readonly: true, strict: true })
  sqlite.run('PRAGMA busy_timeout = 5000')
  const timer = setInterval(() => void syncNow().catch(() => {}), settings.syncIntervalMs)
  timer.unref()
  return {
    client,
    sqlite,
    syncNow,
    lagMs: () => Date.now() - lastSyncAt,
    close() {
      clearInterval(timer)
      sqlite.close()
      client.close()
    },
  }
}
