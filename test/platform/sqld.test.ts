/**
 * The libSQL server (sqld, the server Turso runs) as the tooling starts it (scripts/sqld.ts,
 * test/support/services.ts) and as @libsql/client sees it: a primary answers over http:// and ws://, a sqld
 * replica follows it (the lag is printed) and forwards writes to it, a `batch(…, 'write')` is all-or-nothing (the
 * property the remote order path relies on: a CHECK that fails rolls the batch back), JWT auth as on Turso, data
 * that survives a restart, and the tooling's own guarantees: a missing binary says how to get one, and no sqld
 * outlives the `bun test` run that started it (Ctrl-C, or SIGKILL then the next run).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, createClient, type LibsqlError } from '@libsql/client'
import { isAlive } from '../../scripts/service-processes'
import { stopServicesOfKilledTestRuns, testRunHome } from '../../scripts/services'
import {
  createSqldAuth,
  findSqld,
  isSqldAnswering,
  SQLD_HOW_TO_GET,
  sqldDirIn,
  sqldToken,
  startSqldPair,
} from '../../scripts/sqld'
import { waitForOutput } from '../support/process-output'
import { SERVICE_START_TIMEOUT_MS, type SqldDatabase, useFreshSqld, useSqld } from '../support/services'

const ROOT = join(import.meta.dir, '..', '..')
/** Replication is asynchronous: a replica read is retried up to this many times, 10 ms apart. */
const REPLICA_POLLS = 300

const clients: Client[] = []
function client(url: string, authToken?: string): Client {
  const created = createClient({ url, authToken })
  clients.push(created)
  return created
}
afterAll(() => {
  for (const c of clients) c.close()
})

/** The error a promise rejects with (a LibsqlError carries `code`), or a failure naming what it resolved with. */
async function failureOf(promise: Promise<unknown>): Promise<LibsqlError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: LibsqlError) => ({ error }),
  )
  if ('value' in outcome) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`)
  return outcome.error
}

/**
 * Reads `sql` on `replica` until `isCaughtUp(rows)` (a table not replicated yet counts as not caught up); the
 * number of reads it took (throws past REPLICA_POLLS).
 */
async function readOnReplicaUntil(
  replica: Client,
  sql: string,
  isCaughtUp: (rows: unknown[]) => boolean,
): Promise<number> {
  for (let reads = 1; reads <= REPLICA_POLLS; reads++) {
    const rows = await replica.execute(sql).then(
      (result) => result.rows,
      (error: Error) => {
        if (error.message.includes('no such table')) return undefined
        throw error
      },
    )
    if (rows && isCaughtUp(rows)) return reads
    await Bun.sleep(10)
  }
  throw new Error(`the replica never caught up on ${sql} (${REPLICA_POLLS} reads)`)
}

const suffix = crypto.randomUUID().slice(0, 8) // the shared server is the run's: tables named for this file

describe('findSqld', () => {
  test('SQLD_BIN naming nothing is an error that says how to get sqld, not a quiet fall back to another binary', () => {
    expect(() => findSqld({ SQLD_BIN: '/nowhere/sqld', PATH: '' })).toThrow(
      `SQLD_BIN=/nowhere/sqld does not exist; ${SQLD_HOW_TO_GET}`,
    )
    expect(SQLD_HOW_TO_GET).toContain('ghcr.io/tursodatabase/libsql-server')
  })
})

describe('@libsql/client', () => {
  test('its native module (@libsql/linux-x64-gnu, for file: databases and embedded replicas) loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libsql-native-'))
    const local = createClient({ url: `file:${join(dir, 'local.db')}` })
    try {
      expect((await local.execute('select sqlite_version() as version')).rows[0]).toHaveProperty('version')
    } finally {
      local.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('useSqld with a server from elsewhere', () => {
  test('SQLD_URL without SQLD_REPLICA_URL is refused, naming both: tests of the replica need a real one', async () => {
    const saved = { SQLD_URL: process.env.SQLD_URL, SQLD_REPLICA_URL: process.env.SQLD_REPLICA_URL }
    process.env.SQLD_URL = 'http://127.0.0.1:1'
    delete process.env.SQLD_REPLICA_URL
    try {
      await expect(useSqld()).rejects.toThrow('SQLD_URL and SQLD_REPLICA_URL go together')
    } finally {
      for (const [key, value] of Object.entries(saved))
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
    }
  })
})

describe('a sqld primary and its replica (the run’s shared pair)', () => {
  let db: SqldDatabase
  let primary: Client
  let replica: Client
  beforeAll(async () => {
    db = await useSqld()
    primary = client(db.primaryUrl, db.authToken)
    replica = client(db.replicaUrl, db.authToken)
  }, SERVICE_START_TIMEOUT_MS)

  test('the primary answers over http:// and over ws:// on the same port', async () => {
    expect((await primary.execute('select 1 + 1 as two')).rows[0]).toMatchObject({ two: 2 })
    const overWebSocket = client(db.primaryUrl.replace(/^http/, 'ws'), db.authToken)
    expect((await overWebSocket.execute('select 2 + 2 as four')).rows[0]).toMatchObject({ four: 4 })
  })

  test('20 writes on the primary are each read on the replica (lag printed)', async () => {
    const table = `replicated_${suffix}`
    await primary.execute(`create table ${table} (id integer primary key)`)
    const lagsMs: number[] = []
    let reads = 0
    for (let id = 1; id <= 20; id++) {
      await primary.execute({ sql: `insert into ${table} (id) values (?)`, args: [id] })
      const written = performance.now()
      reads += await readOnReplicaUntil(
        replica,
        `select id from ${table} where id = ${id}`,
        (r) => r.length === 1,
      )
      lagsMs.push(performance.now() - written)
    }
    lagsMs.sort((a, b) => a - b)
    console.log(
      `[sqld] replica lag over 20 writes: median ${lagsMs[10]!.toFixed(1)} ms, max ${lagsMs[19]!.toFixed(1)} ms, ` +
        `${reads} replica reads`,
    )
    expect((await replica.execute(`select count(*) as n from ${table}`)).rows[0]).toMatchObject({ n: 20 })
  })

  test('a write sent to the replica is forwarded: the primary has it when the call returns', async () => {
    const table = `forwarded_${suffix}`
    await primary.execute(`create table ${table} (id integer primary key, note text not null)`)
    await readOnReplicaUntil(replica, `select count(*) from ${table}`, () => true)

    const result = await replica.execute({
      sql: `insert into ${table} (note) values (?)`,
      args: ['via replica'],
    })

    expect(result.rowsAffected).toBe(1)
    expect((await primary.execute(`select note from ${table}`)).rows).toMatchObject([{ note: 'via replica' }])
  })

  describe("batch(…, 'write') is all-or-nothing", () => {
    const table = (through: string) => `stock_${through}_${suffix}`
    for (const through of ['primary', 'replica'] as const) {
      test(`a second statement that violates a CHECK rolls back the first (sent to the ${through})`, async () => {
        const [stock, orders] = [table(through), `orders_${through}_${suffix}`]
        await primary.batch(
          [
            `create table ${stock} (id integer primary key, quantity integer not null check (quantity >= 0))`,
            `create table ${orders} (id integer primary key, quantity integer not null)`,
            `insert into ${stock} (id, quantity) values (1, 5)`,
          ],
          'write',
        )
        const sender = through === 'primary' ? primary : replica
        if (through === 'replica')
          await readOnReplicaUntil(replica, `select id from ${stock}`, (r) => r.length === 1)

        const error = await failureOf(
          sender.batch(
            [
              `insert into ${orders} (quantity) values (10)`,
              `update ${stock} set quantity = quantity - 10 where id = 1`,
            ],
            'write',
          ),
        )

        // the replica reports the primary's refusal as PROXY_ERROR, with SQLite's message inside
        expect(error.code).toBe(through === 'primary' ? 'SQLITE_CONSTRAINT' : 'PROXY_ERROR')
        expect(error.message).toContain('CHECK constraint failed')
        const after = await primary.execute(
          `select (select count(*) from ${orders}) as orders, (select quantity from ${stock}) as stock`,
        )
        expect(after.rows[0]).toMatchObject({ orders: 0, stock: 5 })
      })
    }

    test('20 concurrent one-unit batches on a stock of 5: 5 commit, 15 are refused, the stock ends at 0', async () => {
      const [stock, orders] = [`stock_race_${suffix}`, `orders_race_${suffix}`]
      await primary.batch(
        [
          `create table ${stock} (id integer primary key, quantity integer not null check (quantity >= 0))`,
          `create table ${orders} (id integer primary key, quantity integer not null)`,
          `insert into ${stock} (id, quantity) values (1, 5)`,
        ],
        'write',
      )
      const order = [
        `insert into ${orders} (quantity) values (1)`,
        `update ${stock} set quantity = quantity - 1 where id = 1`,
      ]

      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => primary.batch(order, 'write')),
      )

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5)
      const after = await primary.execute(
        `select (select count(*) from ${orders}) as orders, (select quantity from ${stock}) as stock`,
      )
      expect(after.rows[0]).toMatchObject({ orders: 5, stock: 0 })
    })
  })
})

describe('JWT auth as on Turso (--auth-jwt-key-file, Ed25519)', () => {
  const sqld = useFreshSqld({ isAuthRequired: true })

  test('no token, a token signed by another key, or a malformed one: refused (401) by the primary and the replica', async () => {
    const otherKey = createSqldAuth(join(sqld.primary.dir, 'other-key'))
    const badTokens = [undefined, await sqldToken(otherKey), 'not-a-jwt']
    for (const url of [sqld.primaryUrl, sqld.replicaUrl]) {
      for (const token of badTokens) {
        const error = await failureOf(client(url, token).execute('select 1'))
        expect(error.message, `${url} with token ${token}`).toContain('401')
      }
    }
  })

  test('a {"a":"rw"} token reads and writes, on the primary and through the replica', async () => {
    const primary = client(sqld.primaryUrl, sqld.authToken)
    const replica = client(sqld.replicaUrl, sqld.authToken)
    await primary.execute('create table notes (id integer primary key, body text not null)')
    await primary.execute("insert into notes (body) values ('from the primary')")
    await readOnReplicaUntil(replica, 'select id from notes', (r) => r.length === 1)
    await replica.execute("insert into notes (body) values ('through the replica')")
    expect((await primary.execute('select count(*) as n from notes')).rows[0]).toMatchObject({ n: 2 })
  })

  test('a {"a":"ro"} token reads but cannot write (403)', async () => {
    const readOnly = client(sqld.primaryUrl, await sqldToken(sqld.auth!, 'ro'))
    await client(sqld.primaryUrl, sqld.authToken).execute('create table readable (id integer primary key)')

    expect((await readOnly.execute('select count(*) as n from readable')).rows[0]).toMatchObject({ n: 0 })
    const error = await failureOf(readOnly.execute('insert into readable (id) values (1)'))
    expect(error.message).toContain('403')
    const count = await client(sqld.primaryUrl, sqld.authToken).execute('select count(*) as n from readable')
    expect(count.rows[0]).toMatchObject({ n: 0 })
  })
})

describe('a primary stopped and started again', () => {
  const sqld = useFreshSqld()

  test('on the same ports and folder it keeps its data, and its replica follows it again', async () => {
    const primary = client(sqld.primaryUrl)
    const replica = client(sqld.replicaUrl)
    await primary.execute('create table kept (id integer primary key, body text not null)')
    await primary.execute("insert into kept (body) values ('before the stop')")

    await sqld.primary.stop()
    expect(await isSqldAnswering(sqld.primaryUrl)).toBe(false)
    await sqld.primary.start()

    expect((await primary.execute('select body from kept')).rows).toMatchObject([{ body: 'before the stop' }])
    await primary.execute("insert into kept (body) values ('after the restart')")
    await readOnReplicaUntil(replica, 'select body from kept', (r) => r.length === 2)
  })
})

describe('no sqld outlives the bun test run that started it', () => {
  test('what a run killed outright (SIGKILL) left behind is killed by the next run’s cleanup', async () => {
    const deadRun = Bun.spawn(['true'])
    await deadRun.exited
    const home = testRunHome(deadRun.pid)
    const { primary, replica } = await startSqldPair(home, 'run')
    const pids = [primary.pid()!, replica.pid()!]

    stopServicesOfKilledTestRuns()

    expect(await isSqldAnswering(primary.url)).toBe(false)
    expect(await isSqldAnswering(replica.url)).toBe(false)
    expect(existsSync(home)).toBe(false)
    await waitUntilGone(pids)
  })

  test('Ctrl-C (SIGINT) of a run kills the sqld pair it started and removes its folder', async () => {
    const env = { ...process.env, SQLD_URL: undefined, SQLD_REPLICA_URL: undefined }
    const run = Bun.spawn(['bun', 'test', './test/support/sqld-run-fixture.ts'], {
      cwd: ROOT,
      env,
      stdout: 'pipe',
      stderr: 'ignore',
    })
    try {
      const [, pid, primaryUrl, replicaUrl] = await waitForOutput(
        run.stdout,
        /SQLD_RUN pid=(\d+) primary=(\S+) replica=(\S+)/,
      )
      const home = testRunHome(Number(pid))
      const pids = ['run-primary', 'run-replica'].map((name) =>
        Number(readFileSync(join(sqldDirIn(home, name), 'sqld.pid'), 'utf8')),
      )
      expect(await isSqldAnswering(primaryUrl!)).toBe(true)

      run.kill('SIGINT')

      expect(await run.exited).toBe(130)
      expect(await isSqldAnswering(primaryUrl!)).toBe(false)
      expect(await isSqldAnswering(replicaUrl!)).toBe(false)
      expect(existsSync(home)).toBe(false)
      await waitUntilGone(pids)
    } finally {
      run.kill('SIGINT') // a failed expectation must not leave the run waiting for ten minutes
    }
  })
})

/** A killed process is gone once its parent (or init) reaps it: a few reads of its state, not a timed wait. */
async function waitUntilGone(pids: number[]): Promise<void> {
  for (let check = 0; check < 200 && pids.some(isAlive); check++) await Bun.sleep(10)
  expect(pids.filter(isAlive)).toEqual([])
}
