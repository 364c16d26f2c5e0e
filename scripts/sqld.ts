/**
 * The libSQL server (`sqld`, the server Turso runs) for tests, `services:up` and `bun run cluster`: a primary, and
 * replicas that follow it over gRPC (`--primary-grpc-url`), each on free ports on 127.0.0.1 with its data in a
 * folder of its own. Optional JWT auth as on Turso: an Ed25519 key pair, the public key given to sqld
 * (`--auth-jwt-key-file`), tokens signed with the private key (claim `{"a":"rw"}` for read-write).
 *
 * The binary: `SQLD_BIN`, else `../shared/bin/sqld` next to the project, else `sqld` on PATH; none is a loud
 * error saying how to get one (never a skipped test).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { freePort } from './service-processes'

const READY_TIMEOUT_MS = 20_000

export const SQLD_HOW_TO_GET =
  'the libSQL server (sqld) was not found: set SQLD_BIN to its path, put it at ../shared/bin/sqld or on PATH. ' +
  'Get it from the official image ghcr.io/tursodatabase/libsql-server (the binary is /bin/sqld), or build it: ' +
  'git clone https://github.com/tursodatabase/libsql && cargo build --release -p libsql-server --bin sqld'

/** The sqld binary to run, or an Error that says how to get one. */
export function findSqld(env: Record<string, string | undefined> = process.env): string {
  const candidates = [env.SQLD_BIN, join(import.meta.dir, '..', '..', 'shared', 'bin', 'sqld')]
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate
  const onPath = Bun.which('sqld')
  if (onPath) return onPath
  throw new Error(
    env.SQLD_BIN ? `SQLD_BIN=${env.SQLD_BIN} does not exist; ${SQLD_HOW_TO_GET}` : SQLD_HOW_TO_GET,
  )
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
  process: Bun.Subprocess
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone */
  stop(graceMs?: number): Promise<void>
}

export type SqldOptions = {
  /** the data folder (created); a restarted server given the same folder keeps its data */
  dir: string
  /** start a replica of this primary (its grpcUrl) instead of a primary */
  primaryGrpcUrl?: string
  auth?: SqldAuth
  /** fixed ports, to bring a stopped server back on the same address */
  httpPort?: number
  grpcPort?: number
  env?: Record<string, string | undefined>
}

/** Starts sqld and resolves once it answers GET /health; its log is `<dir>/sqld.log`. */
export async function startSqld(options: SqldOptions): Promise<SqldServer> {
  const binary = findSqld(options.env)
  mkdirSync(options.dir, { recursive: true })
  const httpPort = options.httpPort ?? freePort()
  const grpcPort = options.primaryGrpcUrl ? undefined : (options.grpcPort ?? freePort())
  const args = ['--http-listen-addr', `127.0.0.1:${httpPort}`, '--db-path', join(options.dir, 'data.sqld')]
  args.push('--no-welcome')
  if (grpcPort) args.push('--grpc-listen-addr', `127.0.0.1:${grpcPort}`)
  if (options.primaryGrpcUrl) args.push('--primary-grpc-url', options.primaryGrpcUrl)
  if (options.auth) args.push('--auth-jwt-key-file', options.auth.publicKeyFile)
  const log = Bun.file(join(options.dir, 'sqld.log'))
  const child = Bun.spawn([binary, ...args], {
    stdout: log,
    stderr: log,
    env: { ...process.env, RUST_LOG: 'warn' },
  })
  const url = `http://127.0.0.1:${httpPort}`
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!(await isAnswering(url))) {
    if (child.exitCode !== null)
      throw new Error(`sqld exited with ${child.exitCode}; see ${options.dir}/sqld.log`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(
        `sqld on ${url} did not answer within ${READY_TIMEOUT_MS} ms; see ${options.dir}/sqld.log`,
      )
    }
    await Bun.sleep(50)
  }
  return {
    url,
    grpcUrl: grpcPort ? `http://127.0.0.1:${grpcPort}` : undefined,
    dir: options.dir,
    process: child,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killed = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await child.exited
      clearTimeout(killed)
    },
  }
}

async function isAnswering(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })
    return res.ok
  } catch {
    return false
  }
}
