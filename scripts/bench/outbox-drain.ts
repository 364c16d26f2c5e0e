/**
 * The drain measurements of the outbox bench (scripts/bench/outbox.ts), each in its own process pinned to the
 * server's CPU by the caller:
 * `bun scripts/bench/outbox-drain.ts <relay|raw> <db file> <brokers> <topic prefix> [broker pid]` prints, as its
 * last stdout line, {"events","seconds","cpu","brokerCpu","onTopic","published","dead","outages"}.
 *
 * relay: the app's own OutboxRelay (createDeps/loadConfig, the Kafka publisher; OUTBOX_RELAY_ENABLED=false so
 * nothing polls behind the timer's back) drains the file's pending rows, timed from the first claim until
 * pending is 0: every row acknowledged by the broker (acks=all) and marked PUBLISHED.
 * raw: the same rows' messages (key, value, headers), read into memory before the clock starts, sent by a bare
 * kafkajs idempotent producer with the publisher's settings (acks -1, one request in flight, murmur2 keys) in
 * sendBatch calls of OUTBOX_BATCH_SIZE, one after another, to a topic of its own: what kafkajs and the broker
 * allow with no database.
 * `cpu` is this process's CPU time over the timed window (1 = one core busy); `brokerCpu` the broker JVM's.
 */
import { Database } from 'bun:sqlite'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { loadConfig } from '../../src/config'
import { closeDeps, createDeps } from '../../src/deps'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { localFileOf } from '../../src/platform/db/connections'
import { openDatabase } from '../../src/platform/db/database'
import { EventTopics } from '../../src/platform/events/contract'
import { outboxAppender } from '../../src/platform/events/outbox'

/**
 * The backlog (written by the bench process before the drains): `count` order.created rows through the app's own
 * outboxAppender, shaped like OrdersService's (1–3 lines), each of its own order, as orders write them, so no two
 * rows of a batch wait for each other (outbox-batch.ts's rounds). Returns the mean envelope size in bytes.
 */
export function writeBacklog(file: string, count: number): number {
  const database = openDatabase(file)
  const append = outboxAppender(database.db)
  let bytes = 0
  for (let start = 0; start < count; start += 5_000) {
    database.writeTransaction(() => {
      for (let i = start; i < Math.min(count, start + 5_000); i++) {
        const items = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
          productId: 1 + ((i * 7 + k * 131) % 5_000),
          sellerId: 2,
          quantity: 1 + (k % 2),
        }))
        const payload = {
          orderId: 100_000 + i,
          orderNumber: randomBytes(8).toString('hex').toUpperCase(),
          buyerId: 3 + (i % 64),
          totalAmount: 49_000 * items.length,
          items,
        }
        const event = { aggregateType: 'Order', aggregateId: String(payload.orderId), payload }
        bytes += JSON.stringify(append({ eventType: 'order.created', ...event })).length
      }
    })
  }
  database.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
  database.close()
  return bytes / count
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 when it cannot be read. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0
  try {
    // fields after "pid (comm) ": state is the 3rd field of the line, utime the 14th, stime the 15th
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return 0
  }
}

const DEADLINE_MS = 300_000

type Measured = { events: number; seconds: number; cpu: number; brokerCpu: number }

/** Times `work` and the CPU this process and the broker spent during it. */
async function measure(brokerPid: number | undefined, work: () => Promise<number>): Promise<Measured> {
  const [cpu0, broker0, started] = [process.cpuUsage(), cpuSecondsOf(brokerPid), performance.now()]
  const events = await work()
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const brokerCpu = (cpuSecondsOf(brokerPid) - broker0) / seconds
  return { events, seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds, brokerCpu }
}

async function messagesOn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  } finally {
    await admin.disconnect()
  }
}

async function main() {
  const [mode, file, brokers, prefix, brokerPidArg] = Bun.argv.slice(2)
  if ((mode !== 'relay' && mode !== 'raw') || !file || !brokers || !prefix) {
    throw new Error('usage: outbox-drain.ts <relay|raw> <db file> <brokers> <topic prefix> [broker pid]')
  }
  const brokerPid = brokerPidArg ? Number(brokerPidArg) : undefined
  // only these may be tuned from outside, and they reach both modes alike
  const tuning = Object.fromEntries(
    ['OUTBOX_BATCH_SIZE', 'KAFKA_TOPIC_PARTITIONS'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]]] : [],
    ),
  )
  const config = loadConfig({
    DATABASE_URL: `file:${file}`,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    OUTBOX_RELAY_ENABLED: 'false',
    JWT_SECRET: 'outbox-drain-bench-secret-0123456789abcdef',
    LOG_LEVEL: 'error',
    ...tuning,
  })
  const kafka = new Kafka({ clientId: `bench-${mode}`, brokers: [brokers], logLevel: logLevel.NOTHING })

  if (mode === 'raw') {
    const topic = `${prefix}raw.order.created`
    const sqlite = new Database(file, { readonly: true })
    const messages = sqlite
      .query<{ key: string; value: string; eventId: string; eventType: string }, []>(
        `select aggregate_id as key, payload as value, event_id as eventId, event_type as eventType
         from outbox_events where status = 'PENDING' order by id`,
      )
      .all()
      .map(({ key, value, eventId, eventType }) => ({ key, value, headers: { eventId, eventType } }))
    sqlite.close()
    const admin = kafka.admin()
    await admin.connect()
    const partitions = config.kafka!.topicPartitions
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
    await admin.disconnect()
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await producer.connect()
    const batchSize = config.outbox.batchSize
    const result = await measure(brokerPid, async () => {
      for (let i = 0; i < messages.length; i += batchSize) {
        const batch = messages.slice(i, i + batchSize)
        await producer.sendBatch({ acks: -1, timeout: 5_000, topicMessages: [{ topic, messages: batch }] })
      }
      return messages.length
    })
    await producer.disconnect()
    return {
      ...result,
      onTopic: await messagesOn(kafka, topic),
      published: result.events,
      dead: 0,
      outages: 0,
    }
  }

  const deps = await createDeps(config)
  await deps.events.publisher.start() // connect and create the topics before the clock starts
  const relay = deps.events.relay
  let outages = 0
  const result = await measure(brokerPid, async () => {
    const deadline = Date.now() + DEADLINE_MS
    let published = 0
    for (;;) {
      published += (await relay.drain()).published
      if ((await relay.backlog()).pending === 0) return published
      // drain() returned early: the broker did not answer; the relay backs off like its own loop would
      outages++
      if (Date.now() > deadline)
        throw new Error(`relay still has ${(await relay.backlog()).pending} pending rows`)
      await Bun.sleep(200)
    }
  })
  const count = (status: string) =>
    localFileOf(deps.database)
      .sqlite.query<{ n: number }, [string]>('select count(*) as n from outbox_events where status = ?')
      .get(status)!.n
  const [published, dead] = [count('PUBLISHED'), count('DEAD')]
  await closeDeps(deps)
  const onTopic = await messagesOn(kafka, new EventTopics(EVENT_CATALOG, prefix).topicOf('order.created')!)
  return { ...result, onTopic, published, dead, outages }
}

if (import.meta.main) {
  console.log(JSON.stringify(await main()))
  process.exit(0)
}
