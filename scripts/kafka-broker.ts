/**
 * A real Kafka without Docker: Apache Kafka 3.9.1 run from its Maven Central jars (kafka/pom.xml, fetched once
 * into .services/kafka-libs and kept), one JVM in KRaft combined mode (broker and controller) on two free ports on
 * 127.0.0.1. Each broker lives in a `home` folder of its caller's choosing (`.services/` for `services:up`, a
 * folder per `bun test` run for the tests): config and data in `home`/kafka/, pid and log next to it, until
 * `down()`. So `stop()` and `start()` take the same broker down and bring it back on the same address with its
 * topics: tests of what the app does while Kafka is away use them.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { freePort, killPidNow, livePid, SERVICES_DIR, stopPid } from './service-processes'

const POM = join(import.meta.dir, '..', 'kafka', 'pom.xml')
const LIBS_DIR = join(SERVICES_DIR, 'kafka-libs') // where kafka/pom.xml copies the jars
const KAFKA_JAR = join(LIBS_DIR, 'kafka_2.13-3.9.1.jar') // the version in kafka/pom.xml: change both together
const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 15_000
const HOW_TO_GET_JAVA =
  'Kafka runs on Java 17 and its jars come from Maven Central through Maven: install both ' +
  '(Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless maven`)'

function fetchJarsWhenMissing(): void {
  if (existsSync(KAFKA_JAR)) return
  if (!Bun.which('mvn'))
    throw new Error(`the Kafka jars are not fetched yet and mvn is not on PATH. ${HOW_TO_GET_JAVA}`)
  console.error('Kafka jars are missing: fetching them from Maven Central (kafka/pom.xml)')
  rmSync(LIBS_DIR, { recursive: true, force: true }) // no jars of another version left on the classpath
  const mvn = ['mvn', '-q', '-B', '-f', POM, 'dependency:copy-dependencies']
  if (!Bun.spawnSync(mvn, { stdout: 2, stderr: 'inherit' }).success || !existsSync(KAFKA_JAR)) {
    throw new Error(`could not fetch the Kafka jars: ${mvn.join(' ')} failed`)
  }
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's Uuid prints them (never "-…"). */
function randomClusterId(): string {
  for (;;) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url')
    if (!id.startsWith('-')) return id
  }
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

export type KafkaBroker = {
  /** `127.0.0.1:<port>` of the configured broker (up or down), from its server.properties. */
  address(): string | undefined
  /** The live broker, reused, or a new one on fresh ports with empty storage; its address. */
  up(): Promise<{ address: string; isStarted: boolean }>
  /** Starts the configured broker (same port, same data) unless it runs, and waits until it answers. */
  start(): Promise<string>
  /** Stops the broker (SIGTERM, SIGKILL after 15 s) and keeps its config and data for `start()`. */
  stop(): Promise<void>
  /**
   * SIGSTOP (`isFrozen`) or SIGCONT the running broker: frozen, it keeps its sockets open and answers nothing, a
   * hung broker rather than a dead one (tests of timeouts). Thawing a broker that does not run does nothing.
   */
  freeze(isFrozen: boolean): void
  /** Stops the broker and removes its config and data; safe to call any number of times. */
  down(): Promise<void>
  /** SIGKILL, synchronously, for exit paths; config and data stay (the caller removes `home`). */
  killNow(): void
}

/**
 * The broker of `home`. `isDetached`: the JVM runs in a session of its own and outlives its caller
 * (`services:up`); otherwise it stays in the caller's process group, so a Ctrl-C in the terminal reaches it too.
 */
export function kafkaBroker(home: string, isDetached: boolean): KafkaBroker {
  const kafkaDir = join(home, 'kafka')
  const serverProperties = join(kafkaDir, 'server.properties')
  const log4jProperties = join(kafkaDir, 'log4j.properties')
  const pidFile = join(home, 'kafka.pid')
  const logFile = join(home, 'kafka.log')

  const java = (jvmOptions: string[], mainClass: string, ...args: string[]) => [
    'java',
    ...jvmOptions,
    '-cp',
    `${LIBS_DIR}/*`,
    `-Dlog4j.configuration=file:${log4jProperties}`,
    mainClass,
    ...args,
  ]

  /** Writes server.properties and log4j.properties for two fresh ports and formats an empty data dir. */
  const configureAndFormat = (port: number, controllerPort: number) => {
    rmSync(kafkaDir, { recursive: true, force: true })
    mkdirSync(kafkaDir, { recursive: true })
    const server = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(kafkaDir, 'data')}`,
      // one broker: without replication factor 1 for its internal topics, consumer groups never work
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
    ]
    // warnings and errors only, to stdout, which start() sends to kafka.log
    const log4j = [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ]
    writeFileSync(serverProperties, `${server.join('\n')}\n`)
    writeFileSync(log4jProperties, `${log4j.join('\n')}\n`)
    const format = java(
      [],
      'kafka.tools.StorageTool',
      'format',
      '-t',
      randomClusterId(),
      '-c',
      serverProperties,
    )
    const result = Bun.spawnSync(format, { stderr: 'pipe' })
    if (!result.success) throw new Error(`kafka storage format failed: ${result.stderr.toString().trim()}`)
  }

  const broker: KafkaBroker = {
    address() {
      if (!existsSync(serverProperties)) return undefined
      return readFileSync(serverProperties, 'utf8').match(/^advertised\.listeners=PLAINTEXT:\/\/(.+)$/m)?.[1]
    },
    async up() {
      const address = broker.address()
      if (livePid(pidFile) && address && (await isKafkaAnswering(address)))
        return { address, isStarted: false }
      await broker.stop()
      if (!Bun.which('java')) throw new Error(`java is not on PATH. ${HOW_TO_GET_JAVA}`)
      fetchJarsWhenMissing()
      configureAndFormat(freePort(), freePort())
      return { address: await broker.start(), isStarted: true }
    },
    async start() {
      const address = broker.address()
      if (!address) throw new Error(`no Kafka is configured in ${home}: up() first`)
      let pid = livePid(pidFile)
      if (!pid) {
        const log = openSync(logFile, 'a')
        const child = Bun.spawn(java(['-Xms512m', '-Xmx512m'], 'kafka.Kafka', serverProperties), {
          detached: isDetached,
          stdio: ['ignore', log, log],
        })
        closeSync(log)
        child.unref()
        pid = child.pid
        writeFileSync(pidFile, `${pid}\n`)
      }
      const deadline = Date.now() + READY_TIMEOUT_MS
      while (!(await isKafkaAnswering(address))) {
        if (!livePid(pidFile)) throw new Error(`the Kafka broker (pid ${pid}) exited: see ${logFile}`)
        if (Date.now() > deadline) throw new Error(`Kafka on ${address} did not answer within 60 s`)
        await Bun.sleep(200)
      }
      return address
    },
    stop: () => stopPid(pidFile, STOP_GRACE_MS),
    freeze(isFrozen) {
      const pid = livePid(pidFile)
      if (!pid && isFrozen) throw new Error('the Kafka broker is not running')
      if (pid) process.kill(pid, isFrozen ? 'SIGSTOP' : 'SIGCONT')
    },
    async down() {
      await broker.stop()
      rmSync(kafkaDir, { recursive: true, force: true })
    },
    killNow: () => killPidNow(pidFile, 'kafka.Kafka'),
  }
  return broker
}
