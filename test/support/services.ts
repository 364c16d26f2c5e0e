/**
 * The real services the tests use, started by `bun test` itself, lazily: the first test that asks for one
 * (`await useRedis()`, `await useKafka()`, `await useSqld()`) starts it, every later file of the run reuses it,
 * and test/support/preload.ts (bunfig.toml `[test] preload`) stops it after the last file. A file that asks for
 * nothing starts nothing. A service whose variables are set (REDIS_URL, KAFKA_BROKERS, SQLD_URL +
 * SQLD_REPLICA_URL: `bun run services:up`, or what CI provides) is used as it is, never started or stopped here.
 * What a run starts lives in .services/test-run-<pid>/ and in the run's process group (a Ctrl-C in the terminal
 * reaches it); SIGINT, SIGTERM and SIGHUP kill it before the run exits, and a run killed outright (SIGKILL) is
 * cleaned up by the next run that starts a service (or by `bun run services:down`). With --isolate or --parallel
 * each file or worker has modules of its own, so it starts and stops its own services: correct, only slower.
 *
 * The libSQL server (sqld) serves one database per server (namespaces are off by default, and would need a
 * hostname per database), so a file cannot get an empty database of its own on the shared one. Two ways in:
 * `useSqld()`, the run's shared primary + replica, for tests that create tables under names of their own; and
 * `useFreshSqld()`, a primary + replica of the file's own, empty, removed by the file's afterAll, for tests that
 * need the whole database (migrations under fixed table names), stop or restart a server, or turn on auth. A sqld
 * starts in about 50 ms here, so a pair per file costs less than one Redis round of a typical test; the fresh
 * ones are started by this machine's sqld even when SQLD_URL is set (a remote server cannot hand out an empty
 * database).
 */
import { afterAll, beforeAll } from 'bun:test'
import { rmSync } from 'node:fs'
import { type KafkaBroker, kafkaBroker } from '../../scripts/kafka-broker'
import { killRedisNow, startRedis, stopRedis } from '../../scripts/redis-server'
import { freePort } from '../../scripts/service-processes'
import { servicesKafka, stopServicesOfKilledTestRuns, testRunHome } from '../../scripts/services'
import {
  createSqldAuth,
  killSqldPairNow,
  removeSqldPair,
  type SqldAuth,
  type SqldPair,
  sqldDirIn,
  sqldToken,
  startSqldPair,
} from '../../scripts/sqld'

/**
 * For the beforeAll hooks that may start a service (hooks time out after 5 s otherwise, whatever bunfig says): on
 * a fresh machine the first start installs redis-server with apt-get or fetches the Kafka jars with Maven.
 */
export const SERVICE_START_TIMEOUT_MS = 600_000

const runHome = testRunHome(process.pid)
const runKafka = kafkaBroker(runHome, false)

type StartedService = { stop(): Promise<void>; killNow(): void }
const started: StartedService[] = []
let isStopRegistered = false
let redisUrl: Promise<string> | undefined
let kafkaAddress: Promise<string> | undefined
let sqldDatabase: Promise<SqldDatabase> | undefined
let isRunPrepared = false

/** The preload's one job: after the last file of the run, stop what the run started. */
export function stopServicesAfterTheRun(): void {
  afterAll(stopStartedServices, SERVICE_START_TIMEOUT_MS)
  isStopRegistered = true
}

/** REDIS_URL when set; otherwise a redis-server of this run, started on first use. */
export function useRedis(): Promise<string> {
  const url = process.env.REDIS_URL
  if (url) return Promise.resolve(url)
  redisUrl ??= startService('Redis (REDIS_URL is not set)', () => startRedis(runHome, freePort(), false), {
    stop: () => stopRedis(runHome),
    killNow: () => killRedisNow(runHome),
  })
  return redisUrl
}

/** KAFKA_BROKERS when set; otherwise a Kafka broker of this run, started on first use. */
export function useKafka(): Promise<string> {
  const brokers = process.env.KAFKA_BROKERS
  if (brokers) return Promise.resolve(brokers)
  kafkaAddress ??= startService(
    'Kafka (KAFKA_BROKERS is not set)',
    async () => (await runKafka.up()).address,
    {
      stop: () => runKafka.down(),
      killNow: () => runKafka.killNow(),
    },
  )
  return kafkaAddress
}

/**
 * The broker behind `useKafka()`, for tests that stop, restart or freeze it: the one this run started, or the one
 * of `bun run services:up`. A broker from elsewhere cannot be driven, and the test says so.
 */
export async function useKafkaBroker(): Promise<KafkaBroker> {
  const address = await useKafka()
  const broker = [runKafka, servicesKafka].find((candidate) => candidate.address() === address)
  if (!broker) {
    throw new Error(
      `KAFKA_BROKERS=${address} is not a broker this test can stop and restart: unset KAFKA_BROKERS (bun test ` +
        'then starts its own) or point it at the one `bun run services:up` started',
    )
  }
  return broker
}

/** A libSQL database: a sqld primary and one sqld replica following it. */
export type SqldDatabase = {
  /** `http://127.0.0.1:PORT` of the primary; `ws://` on the same address speaks Hrana over WebSocket */
  primaryUrl: string
  /** the replica: reads are served there, writes (and `batch(…, 'write')`) forwarded to the primary */
  replicaUrl: string
  /** createClient's `authToken`, when the servers check one */
  authToken?: string
}

/**
 * SQLD_URL and SQLD_REPLICA_URL (with SQLD_AUTH_TOKEN when those servers check tokens) when set; otherwise a sqld
 * primary and replica of this run, started on first use. Every file of the run shares them: create tables under
 * names of the file's own, or take `useFreshSqld()`.
 */
export function useSqld(): Promise<SqldDatabase> {
  const { SQLD_URL: primaryUrl, SQLD_REPLICA_URL: replicaUrl, SQLD_AUTH_TOKEN: authToken } = process.env
  if (primaryUrl && replicaUrl) return Promise.resolve({ primaryUrl, replicaUrl, authToken })
  if (primaryUrl || replicaUrl) {
    return Promise.reject(
      new Error(
        'SQLD_URL and SQLD_REPLICA_URL go together (a primary and a replica that follows it): set both, as ' +
          '`bun run services:up` prints them, or neither (bun test then starts its own)',
      ),
    )
  }
  sqldDatabase ??= startService(
    'the libSQL server, primary + replica (SQLD_URL is not set)',
    async () => {
      const { primary, replica } = await startSqldPair(runHome, 'run')
      return { primaryUrl: primary.url, replicaUrl: replica.url }
    },
    { stop: () => removeSqldPair(runHome, 'run'), killNow: () => killSqldPairNow(runHome, 'run') },
  )
  return sqldDatabase
}

export type FreshSqld = SqldDatabase &
  SqldPair & {
    /** with `{ isAuthRequired: true }`: the key both servers check tokens against (`sqldToken(auth, 'ro')`) */
    auth?: SqldAuth
  }

/**
 * A sqld primary and replica of the file's own (or of the `describe` it is called in), empty: started by a
 * beforeAll (so read it in hooks and tests), stopped and removed by an afterAll. `primary` and `replica` can be
 * stopped and started again (same address, same data). With `isAuthRequired`, both refuse requests without a
 * token signed by `auth`, and `authToken` is a read-write one.
 */
export function useFreshSqld(options: { isAuthRequired?: boolean } = {}): FreshSqld {
  const fresh = {} as FreshSqld
  const name = `fresh-${crypto.randomUUID().slice(0, 8)}`
  const service: StartedService = {
    stop: () => removeSqldPair(runHome, name),
    killNow: () => killSqldPairNow(runHome, name),
  }
  beforeAll(async () => {
    trackService('a fresh libSQL server', service)
    const auth = options.isAuthRequired ? createSqldAuth(sqldDirIn(runHome, `${name}-primary`)) : undefined
    const pair = await startSqldPair(runHome, name, { auth })
    const authToken = auth ? await sqldToken(auth) : undefined
    Object.assign(fresh, pair, {
      primaryUrl: pair.primary.url,
      replicaUrl: pair.replica.url,
      auth,
      authToken,
    })
  }, SERVICE_START_TIMEOUT_MS)
  afterAll(async () => {
    await service.stop()
    const index = started.indexOf(service)
    if (index >= 0) started.splice(index, 1)
  }, SERVICE_START_TIMEOUT_MS)
  return fresh
}

function startService<T>(name: string, start: () => Promise<T>, service: StartedService): Promise<T> {
  trackService(name, service) // before it answers: a start that fails half-way is still stopped
  console.error(`[services] starting ${name} for this run`)
  return start()
}

/** From now on `service` is stopped after the run, or killed by a signal or by the run after a killed one. */
function trackService(name: string, service: StartedService): void {
  if (!isStopRegistered) {
    throw new Error(
      `${name} would be started and never stopped: run bun test from the project root, whose bunfig.toml ` +
        'preloads test/support/preload.ts',
    )
  }
  if (!isRunPrepared) {
    stopServicesOfKilledTestRuns()
    stopOnSignals()
    isRunPrepared = true
  }
  started.push(service)
}

async function stopStartedServices(): Promise<void> {
  // popped once stopped: a signal that arrives meanwhile still finds (and kills) the rest
  for (let service = started.at(-1); service; service = started.at(-1)) {
    await service.stop()
    started.pop()
  }
  rmSync(runHome, { recursive: true, force: true })
}

/** Ctrl-C, SIGTERM, SIGHUP: no awaited cleanup runs any more once the signal ends the run, so kill at once. */
function stopOnSignals(): void {
  const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
  for (const [signal, code] of Object.entries(exitCodes)) {
    process.once(signal, () => {
      for (const service of started.splice(0)) service.killNow()
      rmSync(runHome, { recursive: true, force: true })
      process.exit(code)
    })
  }
}
