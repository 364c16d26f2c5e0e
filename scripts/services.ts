/**
 * `bun run services:up` / `services:down`: Redis and Kafka, throwaway and local, for running the server against
 * real services (`bun test` starts what the tests need by itself: test/support/services.ts). One redis-server
 * (scripts/redis-server.ts) and one Kafka broker (scripts/kafka-broker.ts: Apache Kafka from Maven Central jars,
 * KRaft, no Docker), each on free ports on 127.0.0.1, both detached so they outlive this script. `up` waits until
 * each answers, writes `.services/env` (REDIS_URL, KAFKA_BROKERS) and prints its lines; run again, it reuses live
 * instances. `down` stops what `up` started (by pid file), and what `bun test` runs killed outright left behind;
 * it is idempotent. With those two variables exported, `bun test` uses these instances instead of starting its
 * own.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { kafkaBroker } from './kafka-broker'
import { isRedisAnswering, killRedisNow, redisPid, startRedis, stopRedis } from './redis-server'
import { freePort, isAlive, SERVICES_DIR } from './service-processes'

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

/** Starts Redis and Kafka (or reuses the live ones) and returns the env that points at them. */
export async function servicesUp(): Promise<Record<string, string>> {
  mkdirSync(SERVICES_DIR, { recursive: true })
  const env = { REDIS_URL: await redisUp(), KAFKA_BROKERS: (await kafka.up()).address }
  writeFileSync(
    ENV_FILE,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  )
  return env
}

/**
 * Stops the Redis and the Kafka that `servicesUp` started, if any, and what killed `bun test` runs left behind;
 * safe to call any number of times.
 */
export async function servicesDown(): Promise<void> {
  await stopRedis(SERVICES_DIR)
  await kafka.down()
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
