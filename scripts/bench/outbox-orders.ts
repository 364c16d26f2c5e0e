/**
 * The load side of the outbox bench's delay scenario (scripts/bench/outbox.ts), its own process pinned to the load
 * CPU: `bun scripts/bench/outbox-orders.ts '<json options>'` prints, as its last stdout line, what it measured.
 *
 * A kafkajs consumer (a group of its own, from the beginning, so no event can slip past before its offsets are
 * set) reads `<prefix>marketplace.order.created` and records, per order id, receipt time − the envelope's
 * occurredAt (stamped inside the order's transaction; same machine, same clock). Once its group has joined,
 * orders are placed over HTTP at a steady rate, open loop (each at its due time, whether or not earlier ones have
 * answered, so a slow server cannot slow the rate down), round robin over the buyers' tokens. Then it waits until
 * every placed order's event has arrived (at most WAIT_MS) and reports the missing ones.
 * `serverCpu` is the server's CPU time while the orders went (1 = one core busy).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import { Kafka, logLevel } from 'kafkajs'
import { members } from '../../db/schema'
import { loadConfig } from '../../src/config'
import { JwtCodec } from '../../src/platform/auth/jwt'
import { openDatabase } from '../../src/platform/db/database'
import { seedBenchCatalog } from './catalog-data'
import { benchOrderBody, seedOrderBench } from './orders'
import { cpuSecondsOf } from './outbox-drain'

export type LoadOptions = {
  url: string
  tokens: string[]
  body: string
  rate: number
  seconds: number
  brokers: string
  topic: string
  serverPid: number
}

const BUYERS = 8
const WAIT_MS = 15_000

/**
 * In the bench process, before the server starts: its own database (the bench's main file has relays of its own
 * servers polling it, which would take the events) with the demo data, the hot product and BUYERS buyers, and
 * their access tokens signed with the secret the server gets (logging in is not what this measures).
 */
export async function prepareOrderLoad(dir: string) {
  const file = join(dir, 'outbox-e2e.db')
  await seedBenchCatalog(file, 0)
  const seeded = await seedOrderBench(file, BUYERS)
  const secret = randomBytes(36).toString('base64url')
  const database = openDatabase(file)
  const buyers = database.db
    .select({ id: members.id })
    .from(members)
    .where(inArray(members.email, seeded.buyerEmails))
    .all()
  database.close()
  const jwt = new JwtCodec(loadConfig({ JWT_SECRET: secret, JWT_ACCESS_TTL_SECONDS: '86400' }).jwt)
  const issue = async (memberId: number) => (await jwt.issue('access', { memberId, role: 'BUYER' })).token
  const body = benchOrderBody(seeded.productId)
  return { file, secret, buyers: BUYERS, body, tokens: await Promise.all(buyers.map((b) => issue(b.id))) }
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

async function main() {
  const options = JSON.parse(Bun.argv[2] ?? '') as LoadOptions
  const kafka = new Kafka({ clientId: 'bench-e2e', brokers: [options.brokers], logLevel: logLevel.NOTHING })
  /** order id → delay of its first copy (ms) and how many copies came */
  const receipts = new Map<number, { delayMs: number; copies: number }>()
  let consumed = 0
  const admin = kafka.admin()
  await admin.connect()
  // the server creates its topics only after it reports ready (src/event-flow.ts)
  const topicDeadline = Date.now() + WAIT_MS
  while (!(await admin.listTopics()).includes(options.topic)) {
    if (Date.now() > topicDeadline) throw new Error(`the server never created ${options.topic}`)
    await Bun.sleep(100)
  }
  // what earlier rounds left on the topic: read before the first order, so it does not delay this round's events
  const offsets = await admin.fetchTopicOffsets(options.topic)
  const backlog = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  await admin.disconnect()
  const consumer = kafka.consumer({ groupId: `bench-e2e-${randomUUID()}`, maxWaitTimeInMs: 100 })
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve))
  await consumer.connect()
  await consumer.subscribe({ topic: options.topic, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const receivedAt = Date.now()
      consumed += batch.messages.length
      for (const message of batch.messages) {
        const envelope = JSON.parse(message.value!.toString()) as {
          occurredAt: string
          payload: { orderId: number }
        }
        const seen = receipts.get(envelope.payload.orderId)
        if (seen) seen.copies++
        else {
          const delayMs = receivedAt - Date.parse(envelope.occurredAt)
          receipts.set(envelope.payload.orderId, { delayMs, copies: 1 })
        }
      }
    },
  })
  await joined
  const caughtUp = Date.now() + WAIT_MS
  while (consumed < backlog && Date.now() < caughtUp) await Bun.sleep(20)

  const placed: number[] = []
  const httpMs: number[] = []
  const failures: string[] = []
  const placeOrder = async (token: string) => {
    const started = performance.now()
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: options.body,
      })
      const text = await response.text()
      httpMs.push(performance.now() - started)
      if (response.status === 201) placed.push((JSON.parse(text) as { id: number }).id)
      else failures.push(`${response.status} ${text.slice(0, 200)}`)
    } catch (error) {
      failures.push((error as Error).message)
    }
  }
  const total = Math.round(options.rate * options.seconds)
  const interval = 1000 / options.rate
  const inflight: Promise<void>[] = []
  const serverCpu0 = cpuSecondsOf(options.serverPid)
  const started = performance.now()
  for (let i = 0; i < total; i++) {
    const wait = started + i * interval - performance.now()
    if (wait > 0) await Bun.sleep(wait)
    inflight.push(placeOrder(options.tokens[i % options.tokens.length]!))
  }
  await Promise.all(inflight)
  const loadSeconds = (performance.now() - started) / 1000
  const serverCpu = (cpuSecondsOf(options.serverPid) - serverCpu0) / loadSeconds

  const deadline = Date.now() + WAIT_MS
  const arrived = () => placed.filter((id) => receipts.has(id)).length
  while (arrived() < placed.length && Date.now() < deadline) await Bun.sleep(50)
  await consumer.disconnect()

  const mine = placed.flatMap((id) => receipts.get(id) ?? [])
  const delays = mine.map((r) => r.delayMs).sort((a, b) => a - b)
  httpMs.sort((a, b) => a - b)
  return {
    attempted: total,
    placed: placed.length,
    failed: failures.length,
    firstFailure: failures[0],
    rate: total / loadSeconds,
    received: mine.length,
    missing: placed.length - mine.length,
    duplicates: mine.reduce((sum, r) => sum + r.copies - 1, 0),
    p50: percentile(delays, 0.5),
    p99: percentile(delays, 0.99),
    max: delays.at(-1) ?? Number.NaN,
    httpP99: percentile(httpMs, 0.99),
    serverCpu,
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await main()))
  process.exit(0)
}
