/**
 * `bun run services:up` / `services:down`: the real services the tests need, throwaway and local. One Redis on a
 * free port on 127.0.0.1, no persistence, installed from Debian (`redis-server`) when missing; one Kafka broker
 * (scripts/kafka-broker.ts: Apache Kafka from Maven Central jars, KRaft, no Docker). `up` waits until each
 * answers (Redis PING, Kafka describeCluster), writes `.services/env` (REDIS_URL, KAFKA_BROKERS) and prints its
 * lines; run again, it reuses live instances. `down` stops what `up` started (by pid file) and is idempotent.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { kafkaDown, kafkaUp } from './kafka-broker'
import { freePort, livePid, SERVICES_DIR, stopPid } from './service-processes'

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

/** A throwaway redis-server (or the live one, reused) and its URL. */
async function redisUp(): Promise<{ url: string; isStarted: boolean }> {
  const existing = readEnvFile().REDIS_URL
  if (livePid(PID_FILE) && existing && isAnsweringPing(Number(new URL(existing).port))) {
    return { url: existing, isStarted: false }
  }
  installRedisWhenMissing()
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
  return { url: `redis://127.0.0.1:${port}`, isStarted: true }
}

/**
 * Starts Redis and Kafka (or reuses the live ones) and returns the env that points at them; `isStarted` when
 * either was started here, so that the caller's `servicesDown()` stops what it brought up.
 */
export async function servicesUp(): Promise<ServicesUp> {
  mkdirSync(SERVICES_DIR, { recursive: true })
  const redis = await redisUp()
  const kafka = await kafkaUp()
  const env = { REDIS_URL: redis.url, KAFKA_BROKERS: kafka.address }
  writeFileSync(
    ENV_FILE,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  )
  return { env, isStarted: redis.isStarted || kafka.isStarted }
}

/** Stops the Redis and the Kafka that `servicesUp` started, if any; safe to call any number of times. */
export async function servicesDown(): Promise<void> {
  await stopPid(PID_FILE, 5_000)
  await kafkaDown()
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
