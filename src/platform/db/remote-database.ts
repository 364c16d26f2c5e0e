/**
 * A libSQL server as the primary (sqld, or Turso): `@libsql/client` over ws(s)/http(s), with Drizzle's libsql driver
 * on the same sqlite-core schema as the local file. Every call to the server has a deadline (DATABASE_TIMEOUT_MS):
 * the client Drizzle and the raw readers use is wrapped (`guardedClient`), so no query can forget it; a server that
 * does not answer, or is gone, costs a request that long at most, then a 503 SERVICE_UNAVAILABLE, never a hang or a
 * 500.
 *
 * A call the server refuses as busy (SQLITE_BUSY: another writer held its lock; seen with 64 write batches in
 * flight on one sqld) was not applied, so it is sent again after a short pause, within the same deadline; and a
 * process sends at most a few writes at once (write-lanes.ts), so such refusals stay rare. A write that passes its
 * deadline may still commit on the server: the 503 says "try again", and an order retried with its
 * Idempotency-Key answers the one that committed.
 *
 * Writes to a remote primary cannot use the local path's synchronous transaction: an interactive transaction
 * over the network would hold the server's write lock across round trips. A business operation is one
 * `batch(…, 'write')` instead, which the server runs as one transaction: any failing statement (a CHECK, a
 * UNIQUE, a guard) rolls back the whole batch.
 *
 * Migrations are the exception: at start, in one interactive write transaction, so that two instances starting
 * together apply each migration once (the second waits for the first's lock, then finds nothing to apply).
 */
import { type Client, createClient, LibsqlError } from '@libsql/client'
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql'
import * as schema from '../../../db/schema'
import { serviceBusy } from '../../errors'
import { inSpan } from '../observability/tracing'
import { SQLITE_SPAN } from './database'
import { embeddedMigrations } from './migrations'
import { WriteLanes } from './write-lanes'

export type RemoteDb = LibSQLDatabase<typeof schema> & { $client: Client }

export type RemoteDatabaseSettings = {
  url: string
  authToken: string | undefined
  /** the deadline of one call (a query, a batch) */
  timeoutMs: number
}

export type RemoteDatabaseHandle = {
  /** Drizzle over the guarded client: every query and batch has the deadline */
  db: RemoteDb
  /** the guarded client (execute and batch with the deadline, busy retries and the 503) */
  client: Client
  ping(): Promise<boolean>
  close(): void
}

const MIGRATION_LOCK_RETRIES = 50
/** how long past its deadline an abandoned request may run before it is aborted (fetchWithin) */
const ABANDONED_REQUEST_GRACE_MS = 1_000
/** writes of this process in flight to the server at once (write-lanes.ts) */
const WRITE_LANES = 4
/** the pause before a call the server refused as busy (SQLITE_BUSY) is sent again */
const BUSY_RETRY_MS = 10
const MIGRATIONS_TABLE = '__drizzle_migrations'

/**
 * Connects, checks that the server accepts the credentials (a refused token stops the start with a clear message,
 * no retry loop) and applies the migrations it lacks.
 */
export async function openRemoteDatabase(settings: RemoteDatabaseSettings): Promise<RemoteDatabaseHandle> {
  const client = await connect(settings, 'DATABASE_URL')
  await migrateRemote(client)
  return handleOf(client, settings.timeoutMs)
}

/**
 * A sqld replica (started with --primary-grpc-url) for reads: checked like the primary, never migrated (it
 * replicates the primary's schema).
 */
export async function openRemoteReplica(settings: RemoteDatabaseSettings): Promise<RemoteDatabaseHandle> {
  return handleOf(await connect(settings, 'DATABASE_REPLICA_URLS'), settings.timeoutMs)
}

async function connect(settings: RemoteDatabaseSettings, variable: string): Promise<Client> {
  const client = createClient({
    url: settings.url,
    authToken: settings.authToken,
    fetch: fetchWithin(settings.timeoutMs + ABANDONED_REQUEST_GRACE_MS),
  })
  try {
    await withDeadline(client.execute('select 1'), settings.timeoutMs)
    return client
  } catch (error) {
    client.close()
    throw new Error(`${variable} could not be used: ${describeConnectError(error)}`)
  }
}

function handleOf(client: Client, timeoutMs: number): RemoteDatabaseHandle {
  const guarded = guardedClient(client, timeoutMs)
  return {
    db: drizzle({ client: guarded, schema }) as RemoteDb,
    client: guarded,
    async ping() {
      try {
        await withDeadline(client.execute('select 1'), timeoutMs)
        return true
      } catch {
        return false
      }
    },
    close: () => client.close(),
  }
}

/**
 * The client with a deadline on every `execute` and `batch` (the two calls Drizzle's libsql session and the raw
 * readers make): a refusal as busy is retried within the deadline; a timeout or a lost server becomes a 503.
 * Interactive transactions are not wrapped: only migrations use one, on the unguarded client.
 */
export function guardedClient(client: Client, timeoutMs: number): Client {
  const lanes = new WriteLanes(WRITE_LANES)
  const guard = async <T>(send: () => Promise<T>, deadline: number): Promise<T> => {
    for (;;) {
      try {
        return await withDeadline(send(), Math.max(1, deadline - Date.now()))
      } catch (error) {
        // the server refused before running anything (another writer held its lock): safe to send again
        if (isBusy(error) && Date.now() + BUSY_RETRY_MS < deadline) {
          await Bun.sleep(BUSY_RETRY_MS * (0.5 + Math.random()))
          continue
        }
        if (isUnavailable(error) || isBusy(error)) throw unavailable()
        throw error
      }
    }
  }
  const guardWrite = <T>(send: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    return lanes.run(
      (hold) =>
        guard(() => {
          const request = send()
          hold(request)
          return request
        }, deadline),
      deadline,
      unavailable,
    )
  }
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'execute') {
        return (...args: Parameters<Client['execute']>) => {
          const send = () => target.execute(...args)
          return isRead(args[0]) ? guard(send, Date.now() + timeoutMs) : guardWrite(send)
        }
      }
      if (property === 'batch') {
        // Drizzle's db.batch passes no mode, which is 'deferred': a write batch then takes the write lock only at
        // its first write and may have to upgrade it; 'write' (BEGIN IMMEDIATE) takes it first, as the local path does
        return (statements: Parameters<Client['batch']>[0], mode?: Parameters<Client['batch']>[1]) =>
          inSpan('db.batch', SQLITE_SPAN, () => guardWrite(() => target.batch(statements, mode ?? 'write')))
      }
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * fetch with a time limit: a request still unanswered that long after its deadline is aborted. The client runs at
 * most 20 requests at once (its `concurrency`), and a request the caller gave up on keeps its slot until it
 * settles: measured under load here, now and then a request over a kept-alive connection never settled, and once
 * 20 had piled up every call of the process waited for ever (orders 503, the outbox stuck) until a restart.
 */
function fetchWithin(limitMs: number) {
  return (input: string | URL | Request, init: RequestInit = {}) => {
    const limit = AbortSignal.timeout(limitMs)
    return fetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, limit]) : limit })
  }
}

/** A statement that only reads (a SELECT): it needs no write lane. */
function isRead(statement: unknown): boolean {
  const text = typeof statement === 'string' ? statement : (statement as { sql: string }).sql
  return /^\s*select\b/i.test(text)
}

const unavailable = () => serviceBusy('The database did not answer in time')

/**
 * Applies the embedded migrations the server lacks, in one write transaction (see the header). A server busy with
 * another instance's migration answers SQLITE_BUSY: wait and try again.
 */
export async function migrateRemote(client: Client): Promise<{ applied: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await migrateOnce(client)
    } catch (error) {
      if (!isBusy(error) || attempt >= MIGRATION_LOCK_RETRIES) throw error
      await Bun.sleep(100 + Math.random() * 200)
    }
  }
}

async function migrateOnce(client: Client): Promise<{ applied: number }> {
  const tx = await client.transaction('write')
  try {
    await tx.execute(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    )
    const last = await tx.execute(
      `SELECT created_at FROM ${MIGRATIONS_TABLE} ORDER BY created_at DESC LIMIT 1`,
    )
    const lastMillis = last.rows.length > 0 ? Number(last.rows[0]![0]) : -1
    let applied = 0
    for (const migration of embeddedMigrations()) {
      if (migration.folderMillis <= lastMillis) continue
      for (const statement of migration.sql) if (statement.trim()) await tx.execute(statement)
      await tx.execute({
        sql: `INSERT INTO ${MIGRATIONS_TABLE} ("hash", "created_at") VALUES (?, ?)`,
        args: [migration.hash, migration.folderMillis],
      })
      applied++
    }
    await tx.commit()
    return { applied }
  } finally {
    tx.close()
  }
}

/** SQLITE_BUSY / "database is locked": the server did not run the statement or batch at all. */
function isBusy(error: unknown): boolean {
  return (
    error instanceof LibsqlError &&
    /SQLITE_BUSY|database is locked|SQLITE_LOCKED/i.test(`${error.code} ${error.message}`)
  )
}

/** Whether a failure means the server is away or late (→ 503), rather than a statement refused (→ its own error). */
function isUnavailable(error: unknown): boolean {
  if (error instanceof DeadlineError) return true
  if (!(error instanceof LibsqlError)) return error instanceof TypeError // fetch: connection refused / reset
  return /HRANA_WEBSOCKET_ERROR|HRANA_CLOSED_ERROR|SERVER_ERROR|ECONNREFUSED|fetch failed|socket/i.test(
    `${error.code} ${error.message}`,
  )
}

function describeConnectError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  if (/\b401\b|unauthori[sz]ed/i.test(text)) {
    return 'the server refused the credentials (HTTP 401): check DATABASE_AUTH_TOKEN'
  }
  if (error instanceof DeadlineError) return 'the server did not answer within DATABASE_TIMEOUT_MS'
  return text
}

class DeadlineError extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}
