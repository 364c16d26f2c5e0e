/**
 * The real Kafka that `services:up` starts, without Docker: Apache Kafka 3.9.1 run from its Maven Central jars
 * (kafka/pom.xml, fetched once into .services/kafka-libs and kept across `services:down`), one JVM in KRaft
 * combined mode (broker and controller) on two free ports on 127.0.0.1. Its config and data stay in
 * .services/kafka/ until `kafkaDown()`, so `stopKafka()` and `startKafka()` take the same broker down and bring it
 * back on the same address with its topics: tests of what the app does while Kafka is away use them.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { freePort, livePid, SERVICES_DIR, stopPid } from './service-processes'

const POM = join(import.meta.dir, '..', 'kafka', 'pom.xml')
const LIBS_DIR = join(SERVICES_DIR, 'kafka-libs') // where kafka/pom.xml copies the jars
const KAFKA_JAR = join(LIBS_DIR, 'kafka_2.13-3.9.1.jar') // the version in kafka/pom.xml: change both together
const KAFKA_DIR = join(SERVICES_DIR, 'kafka')
const SERVER_PROPERTIES = join(KAFKA_DIR, 'server.properties')
const LOG4J_PROPERTIES = join(KAFKA_DIR, 'log4j.properties')
const PID_FILE = join(SERVICES_DIR, 'kafka.pid')
const LOG_FILE = join(SERVICES_DIR, 'kafka.log')
const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 15_000

function fetchJarsWhenMissing(): void {
  if (existsSync(KAFKA_JAR)) return
  if (!Bun.which('mvn')) throw new Error('Kafka jars are missing and mvn is not on PATH (Maven 3.8, Java 17)')
  console.error('Kafka jars are missing: fetching them from Maven Central (kafka/pom.xml)')
  rmSync(LIBS_DIR, { recursive: true, force: true }) // no jars of another version left on the classpath
  const mvn = ['mvn', '-q', '-B', '-f', POM, 'dependency:copy-dependencies']
  if (!Bun.spawnSync(mvn, { stdout: 2, stderr: 'inherit' }).success || !existsSync(KAFKA_JAR)) {
    throw new Error(`could not fetch the Kafka jars: ${mvn.join(' ')} failed`)
  }
}

function java(jvmOptions: string[], mainClass: string, ...args: string[]): string[] {
  const log4j = `-Dlog4j.configuration=file:${LOG4J_PROPERTIES}`
  return ['java', ...jvmOptions, '-cp', `${LIBS_DIR}/*`, log4j, mainClass, ...args]
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's Uuid prints them (never "-…"). */
function randomClusterId(): string {
  for (;;) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Writes server.properties and log4j.properties for two fresh ports and formats an empty data dir. */
function configureAndFormat(): void {
  rmSync(KAFKA_DIR, { recursive: true, force: true })
  mkdirSync(KAFKA_DIR, { recursive: true })
  const [port, controllerPort] = [freePort(), freePort()]
  const server = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(KAFKA_DIR, 'data')}`,
    // one broker: without replication factor 1 for its internal topics, consumer groups never work
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
  ]
  // warnings and errors only, to stdout, which startKafka sends to .services/kafka.log
  const log4j = [
    'log4j.rootLogger=WARN, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  ]
  writeFileSync(SERVER_PROPERTIES, `${server.join('\n')}\n`)
  writeFileSync(LOG4J_PROPERTIES, `${log4j.join('\n')}\n`)
  const format = java(
    [],
    'kafka.tools.StorageTool',
    'format',
    '-t',
    randomClusterId(),
    '-c',
    SERVER_PROPERTIES,
  )
  const result = Bun.spawnSync(format, { stderr: 'pipe' })
  if (!result.success) throw new Error(`kafka storage format failed: ${result.stderr.toString().trim()}`)
}

/** `127.0.0.1:<port>` of the configured broker (up or down), from .services/kafka/server.properties. */
export function kafkaAddress(): string | undefined {
  if (!existsSync(SERVER_PROPERTIES)) return undefined
  return readFileSync(SERVER_PROPERTIES, 'utf8').match(/^advertised\.listeners=PLAINTEXT:\/\/(.+)$/m)?.[1]
}

/** Whether a broker at `address` answers a kafkajs admin describeCluster() within about a second. */
export async function isKafkaAnswering(address: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'services',
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 1_000,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    return (await admin.describeCluster()).brokers.length > 0
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

/** Starts the configured broker (same port, same data) unless it runs, and waits until it answers. */
export async function startKafka(): Promise<string> {
  const address = kafkaAddress()
  if (!address) throw new Error('Kafka is not configured: run bun run services:up first')
  let pid = livePid(PID_FILE)
  if (!pid) {
    const log = openSync(LOG_FILE, 'a')
    const child = Bun.spawn(java(['-Xms512m', '-Xmx512m'], 'kafka.Kafka', SERVER_PROPERTIES), {
      detached: true,
      stdio: ['ignore', log, log],
    })
    closeSync(log)
    child.unref()
    pid = child.pid
    writeFileSync(PID_FILE, `${pid}\n`)
  }
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!(await isKafkaAnswering(address))) {
    if (!livePid(PID_FILE)) throw new Error(`the Kafka broker (pid ${pid}) exited: see .services/kafka.log`)
    if (Date.now() > deadline) throw new Error(`Kafka on ${address} did not answer within 60 s`)
    await Bun.sleep(200)
  }
  return address
}

/** Stops the broker (SIGTERM, SIGKILL after 15 s) and keeps its config and data for `startKafka()`. */
export async function stopKafka(): Promise<void> {
  await stopPid(PID_FILE, STOP_GRACE_MS)
}

/**
 * SIGSTOP (`isFrozen`) or SIGCONT the running broker: frozen, it keeps its sockets open and answers nothing, a hung
 * broker rather than a dead one (tests of timeouts). Thawing a broker that does not run does nothing.
 */
export function freezeKafka(isFrozen: boolean): void {
  const pid = livePid(PID_FILE)
  if (!pid && isFrozen) throw new Error('the Kafka broker is not running')
  if (pid) process.kill(pid, isFrozen ? 'SIGSTOP' : 'SIGCONT')
}

/** The live broker, reused, or a new one on fresh ports with empty storage; returns its address. */
export async function kafkaUp(): Promise<{ address: string; isStarted: boolean }> {
  const address = kafkaAddress()
  if (livePid(PID_FILE) && address && (await isKafkaAnswering(address))) return { address, isStarted: false }
  await stopKafka()
  if (!Bun.which('java')) throw new Error('java is not on PATH: Kafka needs Java 17')
  fetchJarsWhenMissing()
  configureAndFormat()
  return { address: await startKafka(), isStarted: true }
}

/** Stops the broker and removes its config and data; safe to call any number of times. */
export async function kafkaDown(): Promise<void> {
  await stopKafka()
  rmSync(KAFKA_DIR, { recursive: true, force: true })
}
