/**
 * The libSQL server (`sqld`, the server Turso runs) for tests and `services:up`: a primary, and replicas that
 * follow it over gRPC (`--primary-grpc-url`), each on free ports on 127.0.0.1 in a folder of its own (data in
 * `data.sqld/`, pid in `sqld.pid`, log in `sqld.log`). `stop()` keeps the data and the ports, so `start()` brings
 * the same server back on the same address with its data. The pid files let an exit path, the next `bun test`
 * run or `services:down` kill a server its starter no longer can: by convention the servers of a `home` (the
 * `.services/` of `services:up`, a folder per `bun test` run) live in `home`/sqld/<name>/ (`killSqldsNow`).
 * Optional JWT auth as on Turso: an Ed25519 key pair, the public key given to sqld (`--auth-jwt-key-file`),
 * tokens signed with the private key (claim `{"a":"rw"}` for read-write, `{"a":"ro"}` read-only).
 *
 * The binary: `SQLD_BIN`, else `../shared/bin/sqld` next to the project, else `sqld` on PATH; none is a loud
 * error saying how to get one (never a skipped test).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { findBinary, freePort, killPidNow, livePid, stopPid } from './service-processes'

const READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5_000
/**
 * Primaries checkpoint on a timer (`--checkpoint-interval-s`) instead of SQLite's per-commit auto-checkpoint.
 * Why: sqld 0.24.33 can lose its write lock for good under concurrent writers. Its write queue
 * (libsql-server/src/connection/connection_manager.rs) lets a writer that is already queued give up with
 * SQLITE_BUSY when it wakes and finds a checkpoint holding the lock, and leaves its queue entry behind; when that
 * entry's turn comes, the slot is handed to a connection that has gone, and every writer after it waits forever
 * (reads still served, sqld burns CPU). With auto-checkpoint on, a WAL past 1,000 pages makes every commit
 * checkpoint (seen: 7 checkpoints in 60 ms under two instances' load), so the race came within seconds; with
 * the timer, one checkpoint per interval (a TRUNCATE, ≈ 60–90 ms here). docs/orders-and-data.md has the details.
 */
const CHECKPOINT_INTERVAL_S = 5

export const SQLD_HOW_TO_GET =
  'the libSQL server (sqld): set SQLD_BIN to its path, put it at ../shared/bin/sqld or on PATH. ' +
  'Get it from the official image ghcr.io/tursodatabase/libsql-server (the binary is /bin/sqld), or build it: ' +
  'git clone https://github.com/tursodatabase/libsql && cargo build --release -p libsql-server --bin sqld'

/**
 * The sqld binary to run, or an Error that says how to get one. A SQLD_BIN that names nothing is that error too,
 * not a quiet fall back to another binary: whoever set it meant that one.
 */
export function findSqld(env: Record<string, string | undefined> = process.env): string {
  return findBinary({ name: 'sqld', envVar: 'SQLD_BIN', howToGet: SQLD_HOW_TO_GET, env })
}

export type SqldAuth = { publicKeyFile: string; privateKey: KeyObject }

/** A fresh Ed25519 key pair; the public key is written as PEM into `dir` for `--auth-jwt-key-file`. */
export function createSqldAuth(dir: string): SqldAuth {
  mkdirSync(dir, { recursive: true })
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const publicKeyFile = join(dir, 'sqld-jwt-public.pem')
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }))
  return { publicKeyFile, privateKey }
}

/** A token sqld accepts (as DATABASE_AUTH_TOKEN): EdDSA-signed, `{"a":"rw"}` (read-write) or `"ro"`. */
export function sqldToken(auth: SqldAuth, access: 'rw' | 'ro' = 'rw', expiresIn = '1d'): Promise<string> {
  return new SignJWT({ a: access })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(auth.privateKey)
}

export type SqldServer = {
  /** `http://127.0.0.1:PORT` for @libsql/client (`ws://` works on the same port) */
  url: string
  /** `http://127.0.0.1:GPORT`: what a replica's --primary-grpc-url points at (primaries only) */
  grpcUrl: string | undefined
  dir: string
  /** The process last started (`start()` replaces it), for signals such as SIGSTOP */
  process: Bun.Subprocess
  /** The running process's pid, if it runs (after `stop()`, undefined). */
  pid(): number | undefined
  /** Starts it again (same ports, same data) unless it runs, and resolves once it answers. */
  start(): Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Data and ports stay. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL, synchronously, for exit paths. */
  killNow(): void
}

export type SqldOptions = {
  /** the server's folder (created); a server started again on the same folder keeps its data */
  dir: string
  /** start a replica of this primary (its grpcUrl) instead of a primary */
  primaryGrpcUrl?: string
  auth?: SqldAuth
  /** fixed ports, to bring a stopped server back on the same address */
  httpPort?: number
  grpcPort?: number
  /** in a session of its own, outliving the caller (`services:up`); otherwise in the caller's process group */
  isDetached?: boolean
  /** where to look for the binary (SQLD_BIN, PATH); process.env by default */
  env?: Record<string, string | undefined>
}

/** Starts sqld and resolves once it answers GET /health. */
export async function startSqld(options: SqldOptions): Promise<SqldServer> {
  const binary = findSqld(options.env)
  const { dir } = options
  mkdirSync(dir, { recursive: true })
  const httpPort = options.httpPort ?? freePort()
  const grpcPort = options.primaryGrpcUrl ? undefined : (options.grpcPort ?? freePort())
  const args = ['--http-listen-addr', `127.0.0.1:${httpPort}`, '--db-path', join(dir, 'data.sqld')]
  args.push('--no-welcome')
  if (grpcPort) args.push('--grpc-listen-addr', `127.0.0.1:${grpcPort}`)
  if (options.primaryGrpcUrl) args.push('--primary-grpc-url', options.primaryGrpcUrl)
  else args.push('--checkpoint-interval-s', String(CHECKPOINT_INTERVAL_S))
  if (options.auth) args.push('--auth-jwt-key-file', options.auth.publicKeyFile)
  const url = `http://127.0.0.1:${httpPort}`
  const pidFile = join(dir, 'sqld.pid')
  const logFile = join(dir, 'sqld.log')

  const server = {
    url,
    grpcUrl: grpcPort ? `http://127.0.0.1:${grpcPort}` : undefined,
    dir,
    pid: () => livePid(pidFile),
    async start() {
      let pid = livePid(pidFile)
      if (!pid) {
        const log = openSync(logFile, 'a')
        const child = Bun.spawn([binary, ...args], {
          detached: options.isDetached ?? false,
          stdio: ['ignore', log, log],
          env: sqldEnv(),
        })
        closeSync(log)
        child.unref()
        server.process = child
        pid = child.pid
        writeFileSync(pidFile, `${pid}\n`)
      }
      const deadline = Date.now() + READY_TIMEOUT_MS
      while (!(await isSqldAnswering(url))) {
        if (!livePid(pidFile)) throw new Error(`sqld (pid ${pid}) exited: see ${logFile}`)
        if (Date.now() > deadline) {
          server.killNow()
          throw new Error(`sqld on ${url} did not answer within ${READY_TIMEOUT_MS} ms; see ${logFile}`)
        }
        await Bun.sleep(20)
      }
    },
    stop: (graceMs = STOP_GRACE_MS) => stopPid(pidFile, graceMs),
    killNow: () => killPidNow(pidFile, 'sqld'),
  } as SqldServer
  const running = livePid(pidFile)
  if (running) throw new Error(`a sqld (pid ${running}) already runs on ${dir}: two would share its data`)
  await server.start()
  return server
}

/** The folder of the server `name` of `home` (where `killSqldsNow(home)` finds it). */
export const sqldDirIn = (home: string, name: string) => join(home, 'sqld', name)

export type SqldPair = { primary: SqldServer; replica: SqldServer }

/**
 * A primary and one replica following it, the servers `<name>-primary` and `<name>-replica` of `home`; with
 * `auth`, both check tokens against its key.
 */
export async function startSqldPair(
  home: string,
  name: string,
  options: Pick<SqldOptions, 'auth' | 'isDetached'> = {},
): Promise<SqldPair> {
  const primary = await startSqld({ ...options, dir: sqldDirIn(home, `${name}-primary`) })
  const replica = await startSqld({
    ...options,
    dir: sqldDirIn(home, `${name}-replica`),
    primaryGrpcUrl: primary.grpcUrl,
  })
  return { primary, replica }
}

/** Stops the pair `name` of `home` (the replica first) and removes its data, even half-started; idempotent. */
export async function removeSqldPair(home: string, name: string): Promise<void> {
  for (const server of [`${name}-replica`, `${name}-primary`]) {
    await stopPid(join(sqldDirIn(home, server), 'sqld.pid'), STOP_GRACE_MS)
    rmSync(sqldDirIn(home, server), { recursive: true, force: true })
  }
  if (existsSync(join(home, 'sqld')) && readdirSync(join(home, 'sqld')).length === 0)
    rmSync(join(home, 'sqld'), { recursive: true })
}

/** SIGKILL, synchronously, the pair `name` of `home` (for exit paths; the caller removes `home`). */
export function killSqldPairNow(home: string, name: string): void {
  for (const server of [`${name}-replica`, `${name}-primary`])
    killPidNow(join(sqldDirIn(home, server), 'sqld.pid'), 'sqld')
}

/**
 * SIGKILL, synchronously, every sqld whose folder is in `home`/sqld/: what a killed run left behind (only a
 * process that is a sqld: a stale pid file may name a pid the system has since given to another).
 */
export function killSqldsNow(home: string): void {
  const serversDir = join(home, 'sqld')
  if (!existsSync(serversDir)) return
  for (const name of readdirSync(serversDir)) killPidNow(join(serversDir, name, 'sqld.pid'), 'sqld')
}

/** Whether the sqld at `url` answers GET /health within half a second. */
export async function isSqldAnswering(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })
    return res.ok
  } catch {
    return false
  }
}

/**
 * The caller's env without SQLD_* and LIBSQL_*: sqld reads its options from such variables too (SQLD_DB_PATH,
 * SQLD_AUTH_JWT_KEY, SQLD_PRIMARY_GRPC_URL…), and one exported in a shell must not change the server it gets.
 */
function sqldEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('SQLD_') && !key.startsWith('LIBSQL_')) env[key] = value
  return { ...env, RUST_LOG: 'warn' }
}

/**
 * For shell scripts (scripts/api-fuzz.sh): `bun scripts/sqld.ts up <dir>` starts a detached sqld primary on `dir`
 * and prints its URL; `bun scripts/sqld.ts down <dir>` stops it and removes `dir`.
 */
if (import.meta.main) {
  const [command, dir] = process.argv.slice(2)
  if (command === 'up' && dir) {
    console.log((await startSqld({ dir, isDetached: true })).url)
  } else if (command === 'down' && dir) {
    await stopPid(join(dir, 'sqld.pid'), STOP_GRACE_MS)
    rmSync(dir, { recursive: true, force: true })
  } else {
    console.error('usage: bun scripts/sqld.ts up|down <dir>')
    process.exit(2)
  }
}
