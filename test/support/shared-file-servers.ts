/**
 * The setup of every test on real server processes that share one database, written once: a temp folder, the
 * processes (the first one started seeds the demo data), the env they share (one Redis, as instances must, or one
 * Kafka), a ledger reader, and, when asked, the demo seller's token and new buyers. The afterAll stops every
 * process (each must exit 0, unless the file kills some on purpose) and removes the folder.
 *
 * The database is one SQLite file the processes share (`database: 'file'`, the default; the ledger reads the file
 * through a read-only connection), or a libSQL server (`database: 'sqld'`): a fresh sqld primary of the file's own,
 * each process an instance with its own embedded replica file of it (DATABASE_URL=file:… + DATABASE_SYNC_URL), the
 * ledger reading the primary.
 */
import { afterAll, beforeAll, expect } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createBuyers,
  type LedgerReader,
  loginDemoSeller,
  openLedgerReader,
  openRemoteLedgerReader,
  type ServerProcess,
  startServer,
} from './server-process'
import { type FreshSqld, SERVICE_START_TIMEOUT_MS, useFreshSqld } from './services'

/** How a test title names each database setup. */
export const DATABASE_NAMES = {
  file: 'one SQLite file',
  sqld: 'one sqld primary, an embedded replica per process',
} as const

export type SharedFileServers = {
  /** the shared file (`database: 'file'`) */
  databaseFile: string
  /** the libSQL server primary and replica (`database: 'sqld'`) */
  sqld: FreshSqld | undefined
  /** Every process started so far, in start order. */
  servers: ServerProcess[]
  /** The env every process gets (resolved by the beforeAll). */
  env: Record<string, string>
  /** Reads the database while the processes write it (opened once `processes` are up; none with 0). */
  ledger: LedgerReader
  /** With `buyers`: the demo seller's token and the new buyers' tokens. */
  tokens: { seller: string; buyers: string[] }
  /** One more process on the file, with the shared env plus `extraEnv`. */
  start(extraEnv?: Record<string, string>): Promise<ServerProcess>
}

export function useSharedFileServers(options: {
  /** names the temp folder, the database file and (through the caller's env) the Redis prefix or Kafka topics */
  name: string
  env: () => Promise<Record<string, string>>
  /** processes started before the first test */
  processes: number
  /** buyers signed up before the first test, through the process at index `through` (default 0) */
  buyers?: { count: number; tag: string; through?: number }
  /** false for a file that kills processes on purpose: their exit codes say nothing then */
  isCleanExitExpected?: boolean
  /** 'file' (default): one shared SQLite file; 'sqld': a libSQL server primary, an embedded replica per process */
  database?: 'file' | 'sqld'
}): SharedFileServers {
  const dir = mkdtempSync(join(tmpdir(), `marketplace-${options.name}-`))
  // declared before this fixture's beforeAll, so the server is up when the processes start
  const sqld = options.database === 'sqld' ? useFreshSqld() : undefined
  const fixture: SharedFileServers = {
    databaseFile: join(dir, `${options.name}.db`),
    sqld,
    servers: [],
    env: {},
    ledger: {} as LedgerReader,
    tokens: { seller: '', buyers: [] },
    async start(extraEnv = {}) {
      const { servers } = fixture
      const seedDemoData = servers.length === 0
      // load tests saturate a 2-core machine that sqld shares: the deadline sized for that (the 2 s default and its
      // 503 are proven in test/platform/sqld-instances.test.ts)
      const replica = sqld && { DATABASE_SYNC_URL: sqld.primary.url, DATABASE_TIMEOUT_MS: '10000' }
      const server = await startServer({
        dir,
        databaseFile: sqld ? join(dir, `instance-${servers.length + 1}.db`) : fixture.databaseFile,
        seedDemoData,
        env: { ...fixture.env, ...replica, ...extraEnv },
      })
      servers.push(server)
      return server
    },
  }

  beforeAll(async () => {
    Object.assign(fixture.env, await options.env())
    for (let i = 0; i < options.processes; i++) await fixture.start()
    if (options.buyers) {
      const { count, tag, through = 0 } = options.buyers
      fixture.tokens.seller = await loginDemoSeller(fixture.servers[0]!.baseUrl)
      fixture.tokens.buyers.push(...(await createBuyers(fixture.servers[through]!.baseUrl, count, tag)))
    }
    if (options.processes > 0) {
      const reader = sqld ? openRemoteLedgerReader(sqld.primary.url) : openLedgerReader(fixture.databaseFile)
      Object.assign(fixture.ledger, reader)
    }
  }, SERVICE_START_TIMEOUT_MS)

  afterAll(async () => {
    fixture.ledger.close?.()
    const exitCodes = await Promise.all(fixture.servers.map((server) => server.stop()))
    rmSync(dir, { recursive: true, force: true })
    if (options.isCleanExitExpected ?? true) expect(exitCodes.every((code) => code === 0)).toBe(true)
  }, 60_000)

  return fixture
}
