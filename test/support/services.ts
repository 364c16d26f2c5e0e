/**
 * The real services the tests use, started by `bun test` itself, lazily: the first test that asks for one
 * (`await useRedis()`, `await useKafka()`) starts it, every later file of the run reuses it, and
 * test/support/preload.ts (bunfig.toml `[test] preload`) stops it after the last file. A file that asks for
 * nothing starts nothing. A service whose variable is set (REDIS_URL, KAFKA_BROKERS: `bun run services:up`, or
 * one CI provides) is used as it is, never started or stopped here. What a run starts lives in
 * .services/test-run-<pid>/ and in the run's process group (a Ctrl-C in the terminal reaches it); SIGINT, SIGTERM
 * and SIGHUP kill it before the run exits, and a run killed outright (SIGKILL) is cleaned up by the next run that
 * starts a service (or by `bun run services:down`). With --isolate or --parallel each file or worker has modules
 * of its own, so it starts and stops its own services: correct, only slower. Later services (the libSQL server,
 * Prometheus, Jaeger) join as one more `use…` each.
 */
import { afterAll } from 'bun:test'
import { rmSync } from 'node:fs'
import { type KafkaBroker, kafkaBroker } from '../../scripts/kafka-broker'
import { killRedisNow, startRedis, stopRedis } from '../../scripts/redis-server'
import { freePort } from '../../scripts/service-processes'
import { servicesKafka, stopServicesOfKilledTestRuns, testRunHome } from '../../scripts/services'

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

function startService<T>(name: string, start: () => Promise<T>, service: StartedService): Promise<T> {
  if (!isStopRegistered) {
    throw new Error(
      `${name} would be started and never stopped: run bun test from the project root, whose bunfig.toml ` +
        'preloads test/support/preload.ts',
    )
  }
  if (started.length === 0) {
    stopServicesOfKilledTestRuns()
    stopOnSignals()
  }
  started.push(service) // before it answers: a start that fails half-way is still stopped
  console.error(`[services] starting ${name} for this run`)
  return start()
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
