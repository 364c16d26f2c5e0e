/**
 * The read side's view of the database, whichever driver serves it: Drizzle's bun-sqlite driver on a local file
 * answers a query synchronously, its libsql driver (a sqld/Turso server through @libsql/client) in a Promise.
 * Both are `BaseSQLiteDatabase`s over the same sqlite-core schema, told apart only by their result kind, so a read
 * is written once and awaited: `await` gives a plain value back as it is (no driver call is made twice).
 *
 * Reads inside a local write transaction stay synchronous (never `await` inside one, see database.ts): a repository
 * function used there is generic in the kind of the database it is given, `QueryDb<K>`, and answers `QueryResult<K, T>`:
 * a value on the transaction, a value or a Promise on a `ReadDb`.
 */
import type { Database } from 'bun:sqlite'
import type { Client } from '@libsql/client'
import type { BaseSQLiteDatabase, Result } from 'drizzle-orm/sqlite-core'
import type * as schema from '../../../db/schema'

/** 'sync': bun:sqlite (the local file and its transactions); 'async': libSQL over the network. */
export type ResultKind = 'sync' | 'async'

/** A database or an open transaction of either driver whose queries answer in kind `K`. */
export type QueryDb<K extends ResultKind = ResultKind> = BaseSQLiteDatabase<K, unknown, typeof schema>

/** What a query on a `QueryDb<K>` answers: `T` when K is 'sync', a Promise of it when 'async', either for both. */
export type QueryResult<K extends ResultKind, T> = Result<K, T>

/**
 * A connection reads run on: the local file (or a local replica) or a libSQL server. Its driver's client is part
 * of it because the hot catalog reads run their SQL on the client directly (sql-reader.ts).
 */
export type ReadDb = QueryDb & { $client: Database | Client }

/** A read's answer: synchronous on bun:sqlite, a Promise on libSQL; callers `await` it. */
export type Awaitable<T> = T | Promise<T>

/**
 * Runs a query on `db` and types its answer in `db`'s own kind: `query` must return the query's own `.get()`,
 * `.all()` or `.values()` (no `.then`, no mapping), which answers in the kind of the database it runs on.
 * TypeScript cannot follow a select chain (`orderBy` and later) through a generic kind, hence this one cast.
 */
export function inKindOf<K extends ResultKind, T>(
  db: QueryDb<K>,
  query: (db: QueryDb) => Awaitable<T>,
): QueryResult<K, T> {
  return query(db as QueryDb) as QueryResult<K, T>
}
