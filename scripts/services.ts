/**
 * `bun run services:up` / `services:down`: the real services the tests need, throwaway and local. Today: one
 * Redis on a free port on 127.0.0.1, no persistence, installed from Debian (`redis-server`) when missing.
 * `up` waits until it answers PING, writes `.services/env` and prints its lines; run again, it reuses a live
 * instance. `down` stops what `up` started (by pid file) and is idempotent.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const SERVICES_DIR = join(import.meta.dir, '..', '.services')
const PID_FILE = join(SERVICES_DIR, 'redis.pid')
const ENV_FILE = join(SERVICES_DIR, 'env')
const READY_TIMEOUT_MS = 10_000

export type ServicesUp = { env: Record<string, string>; isStarted: boolean }

function run(cmd: string[], options: { quiet?: boolean } = {}): boolean {
  const out = options.quiet ? 'ignore' : 'inherit'
  return Bun.spawnSync(cmd, { stdout: out, stderr: out }).success
}

function installRedisWhenMissing(): void {
  if (Bun.which('redis-server') && Bun.which('redis-cli')) return
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  console.error('redis-server is missing: installing it with apt-get')
  const install = [...sudo, 'apt-get', 'install', '-y', '-q', 'redis-server']
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const ok = (cmd: string[]) => Bun.spawnSync(cmd, { env, stdout: 'ignore', stderr: 'inherit' }).success
  if (!ok(install) && !(ok([...sudo, 'apt-get', 'update', '-q']) && ok(install))) {
    throw new Error('could not install redis-server with apt-get')
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function runningPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
}

function readEnvFile(): Record<string, string> {
  if (!existsSync(ENV_FILE)) return {}
  const lines = readFileSync(ENV_FILE, 'utf8').split('\n').filter(Boolean)
  return Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

function isAnsweringPing(port: number): boolean {
  const result = Bun.spawnSync(['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'], {
    stderr: 'ignore',
  })
  return result.success && result.stdout.toString().trim() === 'PONG'
}

function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = server
  server.stop(true)
  return port
}

/** Starts a throwaway redis-server (or reuses the live one) and returns the env that points at it. */
export async function servicesUp(): Promise<ServicesUp> {
  const existing = readEnvFile().REDIS_URL
  if (runningPid() && existing && isAnsweringPing(Number(new URL(existing).port))) {
    return { env: { REDIS_URL: existing }, isStarted: false }
  }
  installRedisWhenMissing()
  mkdirSync(SERVICES_DIR, { recursive: true })
  const port = freePort()
  // no RDB snapshots, no AOF: nothing on disk but the pid and log files
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '']
  args.push('--appendonly', 'no', '--pidfile', PID_FILE, '--logfile', join(SERVICES_DIR, 'redis.log'))
  if (!run(['redis-server', ...args])) throw new Error('redis-server did not start (see .services/redis.log)')
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!isAnsweringPing(port)) {
    if (Date.now() > deadline) throw new Error(`redis on port ${port} did not answer PING within 10 s`)
    await Bun.sleep(50)
  }
  const env = { REDIS_URL: `redis://127.0.0.1:${port}` }
  writeFileSync(
    ENV_FILE,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  )
  return { env, isStarted: true }
}

/** Stops the Redis that `servicesUp` started, if any; safe to call any number of times. */
export async function servicesDown(): Promise<void> {
  const pid = runningPid()
  if (pid) {
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 5_000
    while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(50)
    if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  }
  rmSync(PID_FILE, { force: true })
  rmSync(ENV_FILE, { force: true })
}

if (import.meta.main) {
  const command = process.argv[2]
  if (command === 'up') {
    const { env } = await servicesUp()
    for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`)
  } else if (command === 'down') {
    await servicesDown()
  } else {
    console.error('usage: bun scripts/services.ts up|down')
    process.exit(2)
  }
}
