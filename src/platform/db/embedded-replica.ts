/**
 * A Turso-style embedded replica: a local file that libSQL keeps in step with a remote primary (sqld or
 * Turso) by pulling its WAL frames (`sync()`, and every DATABASE_SYNC_INTERVAL_MS), while writes go to the
 * primary (this instance writes through its connection to the primary, remote-database.ts). Reads do not go
 * through libSQL: a read-only bun:sqlite connection reads the same file, an order of magnitude faster than
 * libSQL's own reads (docs/performance.md), and test/platform/embedded-replica.test.ts proves it safe: while
 * frames are applied, every read sees one consistent snapshot (never a torn or corrupt page), reads never go back
 * in time, and a `syncNow()` makes the primary's latest writes visible.
 *
 * Read-your-writes: after a member's write, the read router (read-routing.ts) sends that member's reads to the
 * primary for a while and starts a `syncNow()`, so this instance's file shows the write soon for everyone;
 * other readers see it within the sync interval (the replica's lag, measured by `lagMs`).
 */
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import LibsqlDatabase from 'libsql'
import AsyncLibsqlDatabase from 'libsql/promise'

export type EmbeddedReplicaSettings = {
  /** the local replica file */
  filePath: string
  /** the primary the frames come from (http(s)://, libsql://) */
  syncUrl: string
  authToken: string | undefined
  syncIntervalMs: number
}

export type EmbeddedReplica = {
  /** read-only local reads of the replica file */
  sqlite: Database
  /** pulls the primary's new frames now; resolves once they are readable locally (a sync started later) */
  syncNow(): Promise<void>
  /** ms since the last sync that completed (what a reader that did not sync may be behind by, at most) */
  lagMs(): number
  close(): void
}

/**
 * Opens the replica (one sync from the primary first, so the schema and data are there before any read) and
 * starts the sync timer.
 *
 * The sync must not run on the event loop: libsql's synchronous `sync()` (the one @libsql/client's embedded
 * replica calls) blocks the whole process for its round trip, and for seconds while the primary is away (measured:
 * a 3 s stall per sync, every request of the instance waiting). libsql's promise API runs the same sync on a
 * worker thread, but its constructor passes the replica's options out of order in libsql 0.5.29 ("failed to
 * downcast any to boolean"): the replica is opened by the synchronous API and synced through the promise API's
 * `sync` on the same native handle. test/platform/embedded-replica.test.ts proves the event loop stays free.
 */
export async function openEmbeddedReplica(settings: EmbeddedReplicaSettings): Promise<EmbeddedReplica> {
  mkdirSync(dirname(settings.filePath), { recursive: true })
  // libsql's typings omit `authToken` (read by its constructor) and the native handle `db`
  const replica = new LibsqlDatabase(settings.filePath, {
    syncUrl: settings.syncUrl,
    authToken: settings.authToken ?? '',
  } as ConstructorParameters<typeof LibsqlDatabase>[1]) as InstanceType<typeof LibsqlDatabase> & {
    db: unknown
  }
  const syncer: { sync(): Promise<unknown> } = Object.create(AsyncLibsqlDatabase.prototype, {
    db: { value: replica.db },
  })
  let lastSyncAt = 0
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  const runSync = (): Promise<void> => {
    running = syncer
      .sync()
      .then(() => {
        lastSyncAt = Date.now()
      })
      .finally(() => {
        running = undefined
      })
    return running
  }
  // A caller must see what was committed before it asked, so a sync already under way (it may have read the
  // primary before that commit) does not do: the caller gets the next one, shared by everyone who asks meanwhile.
  const syncNow = (): Promise<void> => {
    if (!running) return runSync()
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined
        return runSync()
      })
    return queued
  }
  await syncNow()
  const sqlite = new Database(settings.filePath, { readonly: true, strict: true })
  sqlite.run('PRAGMA busy_timeout = 5000')
  const timer = setInterval(() => void syncNow().catch(() => {}), settings.syncIntervalMs)
  timer.unref()
  return {
    sqlite,
    syncNow,
    lagMs: () => Date.now() - lastSyncAt,
    close() {
      clearInterval(timer)
      sqlite.close()
      replica.close()
    },
  }
}
