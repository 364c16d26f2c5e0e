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
import { type BunSQLiteDatabase, drizzle } from 'drizzle-orm/bun-sqlite'
import { migrate } from 'drizzle-orm/bun-sqlite/migrator'
import * as schema from '../../db/schema'

export type Db = BunSQLiteDatabase<typeof schema>
/** What a repository receives: the database or the open transaction, same query API. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0]

export type DatabaseHandle = {
  db: Db
  sqlite: Database
  /** Runs `work` in one BEGIN IMMEDIATE transaction; `work` must be synchronous (see the module header). */
  writeTransaction<T>(work: (tx: DbOrTx) => T): T
  ping(): boolean
  close(): void
}

export const DEFAULT_MIGRATIONS_FOLDER = new URL('../../db/migrations', import.meta.url).pathname

export function openDatabase(filePath: string, options: { migrationsFolder?: string } = {}): DatabaseHandle {
  mkdirSync(dirname(filePath), { recursive: true })
  const sqlite = new Database(filePath, { create: true, strict: true })
  sqlite.run('PRAGMA journal_mode = WAL')
  // NORMAL in WAL mode is durable against process crashes; a power loss may lose the last commits (SQLite docs).
  sqlite.run('PRAGMA synchronous = NORMAL')
  sqlite.run('PRAGMA foreign_keys = ON')
  // Another process holding the write lock: wait up to 5 s (each transaction here is short and never awaits).
  sqlite.run('PRAGMA busy_timeout = 5000')
  const db = drizzle({ client: sqlite, schema })
  migrate(db, { migrationsFolder: options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER })

  return {
    db,
    sqlite,
    writeTransaction<T>(work: (tx: DbOrTx) => T): T {
      const result = db.transaction(work, { behavior: 'immediate' })
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
