/**
 * The database: one libSQL/SQLite file in WAL mode, served through Drizzle's `bun:sqlite` driver.
 *
 * Write path, chosen deliberately (INFRA.md measured the alternatives): statements run synchronously on one
 * connection, and every write transaction is a *synchronous* function passed to `writeTransaction`. JavaScript
 * runs one such function to completion before any other request's code runs, so writes in this process are
 * serialized without a mutex and without SQLITE_BUSY; readers are never blocked (WAL). Transactions start with
 * BEGIN IMMEDIATE, so a second process on the same file queues on SQLite's write lock (busy_timeout) instead of
 * failing at COMMIT. The rule that keeps this true: never `await` inside a transaction body.
 */
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SpanKind, type SpanOptions } from '@opentelemetry/api'
import { type BunSQLiteDatabase, drizzle } from 'drizzle-orm/bun-sqlite'
import * as schema from '../../../db/schema'
import { bindToCaller, inSpan } from '../observability/tracing'
import { createGroupCommit } from './group-commit'
import { embeddedMigrations } from './migrations'

/**
 * The options of every database span (a local write transaction, a libSQL batch, a cache fill's query): the
 * client side of SQLite, local or a libSQL server (src/platform/observability/tracing.ts; nothing when off).
 */
export const SQLITE_SPAN: SpanOptions = { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'sqlite' } }

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database }
/** What a repository receives: the database or the open transaction, same query API. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0]

type MigratorInternals = {
  dialect: { migrate(migrations: unknown[], session: unknown, config: { migrationsFolder: string }): void }
  session: unknown
}

export type DatabaseHandle = {
  db: Db
  sqlite: Database
  /** Runs `work` in one BEGIN IMMEDIATE transaction; `work` must be synchronous (see the module header). */
  writeTransaction<T>(work: (tx: DbOrTx) => T): T
  /**
   * Runs `work` (synchronous, like a writeTransaction body) in the transaction of the next commit group
   * (src/platform/db/group-commit.ts): its own savepoint, settled after the group's COMMIT.
   */
  writeInGroup<T>(work: (tx: DbOrTx) => T): Promise<T>
  /** Groups committed and the writes they carried (bench, tests). */
  groupStats(): { groups: number; writes: number }
  ping(): boolean
  close(): void
}

/**
 * The PRAGMAs of the write connection to a local file. Exported so the bench's raw loops and anchor route run with
 * exactly these (their figures compare against this path).
 */
export function applyWritePragmas(sqlite: Database): void {
  sqlite.run('PRAGMA journal_mode = WAL')
  // NORMAL in WAL mode is durable against process crashes; a power loss may lose the last commits (SQLite docs).
  sqlite.run('PRAGMA synchronous = NORMAL')
  sqlite.run('PRAGMA foreign_keys = ON')
  // Another process holding the write lock: wait up to 5 s (each transaction here is short and never awaits).
  sqlite.run('PRAGMA busy_timeout = 5000')
  // A group commit (group-commit.ts) gives each write a SAVEPOINT, and SQLite keeps the pages a savepoint may have
  // to restore in a sub-journal: a temp file by default, one write syscall per page (MEMORY: the placeOrder loop
  // went from ≈ 9,100 to ≈ 12,200 orders/s).
  sqlite.run('PRAGMA temp_store = MEMORY')
  // Checkpoint every 4,000 WAL pages (16 MB) instead of 1,000: a hot page rewritten by many commits is copied into
  // the database once per checkpoint, so fewer checkpoints copy less (placeOrder loop ≈ 12,200 → 14,700/s).
  sqlite.run(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
}

/** See applyWritePragmas. */
export const WAL_AUTOCHECKPOINT_PAGES = 4_000

export function openDatabase(filePath: string): DatabaseHandle {
  mkdirSync(dirname(filePath), { recursive: true })
  const sqlite = new Database(filePath, { create: true, strict: true })
  applyWritePragmas(sqlite)
  const db = drizzle({ client: sqlite, schema })
  // drizzle's own migrator (bun-sqlite/migrator.js) is exactly this call after reading the folder; `dialect`
  // and `session` are marked internal in its typings
  const internals = db as unknown as MigratorInternals
  internals.dialect.migrate(embeddedMigrations(), internals.session, { migrationsFolder: '(embedded)' })

  const groups = createGroupCommit(sqlite)

  return {
    db,
    sqlite,
    // traced: a span per write, its body bound to the caller's context (the group runs on a later turn)
    writeInGroup: (work) =>
      inSpan('db.transaction', SQLITE_SPAN, () => groups.run(bindToCaller(() => work(db)))),
    groupStats: () => groups.stats(),
    writeTransaction<T>(work: (tx: DbOrTx) => T): T {
      const result = inSpan('db.transaction', SQLITE_SPAN, () =>
        db.transaction(work, { behavior: 'immediate' }),
      )
      if (result instanceof Promise) {
        throw new Error('writeTransaction bodies must be synchronous (an awaited body would commit early)')
      }
      return result
    },
    ping() {
      return sqlite.query('select 1 as ok').get() !== null
    },
    close() {
      sqlite.close()
    },
  }
}

export type ReplicaHandle = { db: Db; sqlite: Database; ping(): boolean; close(): void }

/**
 * A read replica: a read-only connection (`PRAGMA query_only`) to a file that a replication process keeps up to
 * date (or to the primary's own file, for a separate read connection). It never migrates and refuses writes
 * with SQLITE_READONLY, so a misrouted write fails loudly instead of diverging.
 */
export function openReadReplica(filePath: string): ReplicaHandle {
  const sqlite = new Database(filePath, { readonly: true, strict: true })
  sqlite.run('PRAGMA query_only = ON')
  sqlite.run('PRAGMA busy_timeout = 5000')
  const db = drizzle({ client: sqlite, schema })
  return {
    db,
    sqlite,
    ping: () => sqlite.query('select 1 as ok').get() !== null,
    close: () => sqlite.close(),
  }
}
