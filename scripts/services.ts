/**
 * `bun run services:up` / `services:down`: Redis, Kafka and the libSQL server, throwaway and local, for running
 * the server against real services (`bun test` starts what the tests need by itself: test/support/services.ts).
 * One redis-server (scripts/redis-server.ts), one Kafka broker (scripts/kafka-broker.ts: Apache Kafka from Maven
 * Central jars, KRaft, no Docker) and a sqld primary with one sqld replica following it (scripts/sqld.ts), each on
 * free ports on 127.0.0.1, all detached so they outlive this script. `up` waits until each answers, writes
 * `.services/env` (REDIS_URL, KAFKA_BROKERS, SQLD_URL, SQLD_REPLICA_URL) and prints its lines; run again, it
 * reuses live instances. `down` stops what `up` started (by pid file) and removes the sqld data, and stops what
 * `bun test` runs killed outright left behind; it is idempotent. With those variables exported, `bun test` uses
 * these instances instead of starting its own.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { kafkaBroker } from './kafka-broker'
import { isRedisAnswering, killRedisNow, redisPid, startRedis, stopRedis } from './redis-server'
import { freePort, isAlive, livePid, SERVICES_DIR } from './service-processes'
import { isSqldAnswering, killSqldsNow, removeSqldPair, sqldDirIn, startSqldPair } from './sqld'

const ENV_FILE = join(SERVICES_DIR, 'env')
const kafka = kafkaBroker(SERVICES_DIR, true)

function readEnvFile(): Record<string, string> {
  if (!existsSync(ENV_FILE)) return {}
  const lines = readFileSync(ENV_FILE, 'utf8').split('\n').filter(Boolean)
  return Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
}

/** The live redis-server of `services:up`, reused, or a new one. */
async function redisUp(): Promise<string> {
  const existing = readEnvFile().REDIS_URL
  if (redisPid(SERVICES_DIR) && existing && isRedisAnswering(existing)) return existing
  await stopRedis(SERVICES_DIR)
  return startRedis(SERVICES_DIR, freePort(), true)
}

const SQLD_PAIR = 'services'

/** The live sqld primary and replica of `services:up`, reused, or a new pair on fresh ports and empty data. */
async function sqldUp(): Promise<{ SQLD_URL: string; SQLD_REPLICA_URL: string }> {
  const { SQLD_URL, SQLD_REPLICA_URL } = readEnvFile()
  const isLive = async (server: string, url: string | undefined) =>
    url !== undefined &&
    livePid(join(sqldDirIn(SERVICES_DIR, `${SQLD_PAIR}-${server}`), 'sqld.pid')) !== undefined &&
    (await isSqldAnswering(url))
  if ((await isLive('primary', SQLD_URL)) && (await isLive('replica', SQLD_REPLICA_URL)))
    return { SQLD_URL: SQLD_URL!, SQLD_REPLICA_URL: SQLD_REPLICA_URL! }
  await removeSqldPair(SERVICES_DIR, SQLD_PAIR)
  const { primary, replica } = await startSqldPair(SERVICES_DIR, SQLD_PAIR, { isDetached: true })
  return { SQLD_URL: primary.url, SQLD_REPLICA_URL: replica.url }
}

/** Starts Redis, Kafka and sqld (or reuses the live ones) and returns the env that points at them. */
export async function servicesUp(): Promise<Record<string, string>> {
  mkdirSync(SERVICES_DIR, { recursive: true })
  const env = {
    REDIS_URL: await redisUp(),
    KAFKA_BROKERS: (await kafka.up()).address,
    ...(await sqldUp()),
  }
  writeFileSync(
    ENV_FILE,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  )
  return env
}

/**
 * Stops the Redis, the Kafka and the sqld servers that `servicesUp` started, if any, and what killed `bun test`
 * runs left behind; safe to call any number of times.
 */
export async function servicesDown(): Promise<void> {
  await stopRedis(SERVICES_DIR)
  await kafka.down()
  await removeSqldPair(SERVICES_DIR, SQLD_PAIR)
  rmSync(ENV_FILE, { force: true })
  stopServicesOfKilledTestRuns()
}

const TEST_RUN_PREFIX = 'test-run-'

/** Where the `bun test` run of process `pid` keeps the services it starts (test/support/services.ts). */
export const testRunHome = (pid: number) => join(SERVICES_DIR, `${TEST_RUN_PREFIX}${pid}`)

/**
 * Kills the services of `bun test` runs that died without stopping them (SIGKILL, a crash), found by the folders
 * that name their pid; a run still alive keeps its own.
 */
export function stopServicesOfKilledTestRuns(): void {
  if (!existsSync(SERVICES_DIR)) return
  for (const name of readdirSync(SERVICES_DIR)) {
    const pid = Number(name.slice(TEST_RUN_PREFIX.length))
    if (!name.startsWith(TEST_RUN_PREFIX) || !Number.isInteger(pid) || isAlive(pid)) continue
    const home = join(SERVICES_DIR, name)
    killRedisNow(home)
    kafkaBroker(home, false).killNow()
    killSqldsNow(home)
    rmSync(home, { recursive: true, force: true })
  }
}

/** The broker `services:up` runs (tests that stop and restart Kafka drive it when KAFKA_BROKERS points at it). */
export const servicesKafka = kafka

if (import.meta.main) {
  const command = process.argv[2]
  if (command === 'up') {
    for (const [key, value] of Object.entries(await servicesUp())) console.log(`${key}=${value}`)
  } else if (command === 'down') {
    await servicesDown()
  } else {
    console.error('usage: bun scripts/services.ts up|down')
    process.exit(2)
  }
}
