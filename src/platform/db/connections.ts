/**
 * The database as configured (SPEC §2, docs/configuration.md), in one of three modes:
 * - `file`: a local file through bun:sqlite, the embedded default (database.ts), with optional read-only `file:`
 *   replicas;
 * - `remote`: a libSQL server primary (sqld, Turso) through @libsql/client (remote-database.ts);
 * - `embedded-replica`: a local file kept in step with that primary (embedded-replica.ts): writes go to the
 *   primary, public catalog reads to the local file.
 * In both libSQL modes DATABASE_REPLICA_URLS may name sqld replicas (a sqld started with --primary-grpc-url).
 *
 * The mode picks each write path once, where the clients are wired (deps.ts, services.ts, event-flow.ts); the
 * reads are one code path over either driver (read-db.ts), routed by the ReadRouter built here.
 */
import { drizzle } from 'drizzle-orm/bun-sqlite'
import * as schema from '../../../db/schema'
import type { Config } from '../../config'
import { type DatabaseHandle, openDatabase, openReadReplica, type ReplicaHandle } from './database'
import { type EmbeddedReplica, openEmbeddedReplica } from './embedded-replica'
import type { QueryDb, ReadDb } from './read-db'
import { ReadRouter } from './read-routing'
import { openRemoteDatabase, openRemoteReplica, type RemoteDatabaseHandle } from './remote-database'

export type DatabaseMode = Database['mode']

export type Database =
  | { mode: 'file'; local: DatabaseHandle; replicas: ReplicaHandle[] }
  | { mode: 'remote'; remote: RemoteDatabaseHandle; replicas: RemoteDatabaseHandle[] }
  | {
      mode: 'embedded-replica'
      remote: RemoteDatabaseHandle
      embedded: EmbeddedReplica
      replicas: RemoteDatabaseHandle[]
    }

/** How health names each mode. */
export const DRIVER_OF_MODE: Record<DatabaseMode, string> = {
  file: 'bun:sqlite file',
  remote: 'libsql remote',
  'embedded-replica': 'embedded replica',
}

/** Opens the configured database; a libSQL primary is reached, authenticated and migrated before this resolves. */
export async function openConfiguredDatabase(settings: Config['database']): Promise<Database> {
  if (settings.mode === 'file') {
    return {
      mode: 'file',
      local: openDatabase(settings.filePath),
      replicas: settings.replicaUrls.map((url) => openReadReplica(url.slice('file:'.length))),
    }
  }
  const { authToken, timeoutMs } = settings
  const remote = await openRemoteDatabase({ url: settings.primaryUrl, authToken, timeoutMs })
  const replicas = await Promise.all(
    settings.replicaUrls.map((url) => openRemoteReplica({ url, authToken, timeoutMs })),
  )
  if (settings.mode === 'remote') return { mode: 'remote', remote, replicas }
  // after the primary's migrations, so the first sync brings the whole schema
  const embedded = await openEmbeddedReplica({
    filePath: settings.filePath,
    syncUrl: settings.primaryUrl,
    authToken,
    syncIntervalMs: settings.syncIntervalMs,
  })
  return { mode: 'embedded-replica', remote, embedded, replicas }
}

/**
 * Where reads go: the primary for write flows and a member's own data; public catalog reads to the replicas
 * (the embedded replica file first), with read-your-writes for the member who just wrote. In embedded-replica
 * mode a write also starts a sync, so this instance's file shows it soon for everyone (the writer reads the
 * primary meanwhile).
 */
export function readRouterOf(database: Database, readYourWritesMs: number): ReadRouter {
  if (database.mode === 'file') {
    return new ReadRouter(
      database.local.db,
      database.replicas.map((replica) => replica.db),
      readYourWritesMs,
    )
  }
  const replicas: ReadDb[] = database.replicas.map((replica) => replica.db)
  if (database.mode === 'embedded-replica') {
    const { embedded } = database
    replicas.unshift(drizzle({ client: embedded.sqlite, schema }))
    return new ReadRouter(database.remote.db, replicas, readYourWritesMs, {
      afterWrite: () => void embedded.syncNow().catch(() => {}), // the interval sync tries again
    })
  }
  return new ReadRouter(database.remote.db, replicas, readYourWritesMs)
}

/** Where the database is, for the start log: URLs carry no credentials (config.ts refuses them there). */
export function databaseInLog(config: Pick<Config, 'database'>) {
  const settings = config.database
  if (settings.mode === 'file') return { mode: settings.mode, file: settings.filePath }
  return {
    mode: settings.mode,
    primary: settings.primaryUrl,
    ...(settings.mode === 'embedded-replica' && { file: settings.filePath }),
    replicas: settings.replicaUrls.length,
  }
}

/** The local file handle, for tools that work on SQLite itself (benches, labs, tests of the embedded default). */
export function localFileOf(database: Database): DatabaseHandle {
  if (database.mode !== 'file')
    throw new Error(`needs DATABASE_URL=file:<path>; the database is ${database.mode}`)
  return database.local
}

/**
 * The primary's query API, whichever driver holds it (the local file, or the libSQL server in both libSQL modes):
 * for work that must see every write at once and runs the same on either (refunds, the demo data).
 */
export function primaryDbOf(database: Database): QueryDb {
  return database.mode === 'file' ? database.local.db : database.remote.db
}

/** The primary is reachable (health `db`). */
export async function pingPrimary(database: Database): Promise<boolean> {
  return database.mode === 'file' ? database.local.ping() : database.remote.ping()
}

/** How many replicas answer, of how many (health `replicas`). */
export async function pingReplicas(database: Database): Promise<{ up: number; total: number }> {
  const answers = await Promise.all(database.replicas.map((replica) => replica.ping()))
  return { up: answers.filter(Boolean).length, total: answers.length }
}

export function closeDatabase(database: Database): void {
  for (const replica of database.replicas) replica.close()
  if (database.mode === 'file') {
    database.local.close()
    return
  }
  if (database.mode === 'embedded-replica') database.embedded.close()
  database.remote.close()
}
