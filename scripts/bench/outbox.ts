/**
 * The outbox group of `bun run bench` (issue #5), on a real Kafka broker (scripts/kafka-broker.ts: the live one
 * reused, and the run's topics deleted after it; else one started for the run and removed after it). The broker
 * JVM is not pinned: it shares both CPUs with the server side and the load side, so its work weighs on both.
 *
 * 1. Relay drain: BENCH_OUTBOX_EVENTS order.created rows in a fresh database, drained by the app's OutboxRelay
 *    into the broker on the server CPU → events/s acknowledged and marked PUBLISHED. In the same round and on the
 *    same CPU, a bare kafkajs producer with the publisher's settings sends the same messages in the same batches
 *    without a database: the relay is reported as a share of it (outbox-drain.ts). Goal: ≥ 5,000 events/s.
 * 2. Order commit → consumer receipt: the real server with KAFKA_BROKERS (default poll interval) on its own
 *    database, BENCH_OUTBOX_RATE orders/s for BENCH_SECONDS over HTTP from a few buyers, and a consumer of the
 *    bench's own on the order.created topic (outbox-orders.ts, load CPU); delay = receipt − the envelope's
 *    occurredAt. Every order's event must arrive. Goal: p99 < 1.5 s.
 * Both run BENCH_RUNS rounds; figures are medians (the delay's max is the worst round's). Then the idle CPU of
 * the Kafka-mode server against the embedded one: what polling costs with nothing to do.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { Kafka, logLevel } from 'kafkajs'
import { loadConfig } from '../../src/config'
import { EVENT_CATALOG } from '../../src/event-catalog'
import { EventTopics } from '../../src/platform/events/contract'
import { livePid, SERVICES_DIR } from '../service-processes'
import { servicesKafka } from '../services'
import { cpuSecondsOf, writeBacklog } from './outbox-drain'
import { type LoadOptions, prepareOrderLoad } from './outbox-orders'
import { median } from './report'
import type { RunningServer } from './servers'

/** What BENCH_ONLY is matched against (no "order" in it: BENCH_ONLY=order keeps meaning the order scenario). */
export const OUTBOX_NAME = 'outbox relay → Kafka'
const GOAL = { eventsPerSecond: 5_000, p99Ms: 1_500 }
/** round 0 of the drains: a broker that has just started runs cold (JIT), slowing whichever goes first */
const WARMUP_EVENTS = 5_000
const IDLE_SECONDS = 3

export type OutboxContext = {
  dir: string
  runs: number
  seconds: number
  serverCpu: string | undefined
  loadCpu: string | undefined
  /** starts the real server with the bench's app env plus `env`, pinned to the server CPU */
  startApp: (name: string, env: Record<string, string>) => Promise<RunningServer>
  onCleanup: (step: () => Promise<void> | void) => void
  /** the bench's embedded-mode server (in-process bus), idle by then */
  embeddedPid: number | undefined
}

type Broker = { address: string; pid: number | undefined; runId: string }
type Drain = { events: number; seconds: number; cpu: number; brokerCpu: number; onTopic: number }
type RelayDrain = Drain & { published: number; dead: number }
type Delays = Record<'placed' | 'failed' | 'received' | 'missing' | 'duplicates', number> &
  Record<'p50' | 'p99' | 'max' | 'rate' | 'httpP99' | 'serverCpu', number> & { firstFailure?: string }

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer ≥ 1`)
  return value
}

/** children running now: the cleanup kills them (a drain left behind would retry a removed broker for minutes) */
const children = new Set<Subprocess>()

/** A child bun process, pinned to `cpu`; its last stdout line is its JSON result. */
async function child<T>(script: string, args: string[], cpu: string | undefined): Promise<T> {
  const command = [process.execPath, join(import.meta.dir, script), ...args]
  const proc = Bun.spawn(cpu === undefined ? command : ['taskset', '-c', cpu, ...command], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  children.add(proc)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]).finally(() => children.delete(proc))
  if (exitCode !== 0) throw new Error(`${script} exited with ${exitCode}:\n${stderr || stdout}`)
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (n: number, digits = 0) => `${(n * 100).toFixed(digits)} %`
const rateOf = (d: Drain) => d.events / d.seconds

async function measureDrains(ctx: OutboxContext, broker: Broker, events: number, errors: string[]) {
  const raws: Drain[] = []
  const relays: RelayDrain[] = []
  let meanBytes = 0
  for (let round = 0; round <= ctx.runs; round++) {
    const count = round === 0 ? Math.min(events, WARMUP_EVENTS) : events
    const file = join(ctx.dir, `outbox-${round}.db`)
    meanBytes = writeBacklog(file, count)
    const args = [file, broker.address, `bench-${broker.runId}-${round}-`, String(broker.pid ?? '')]
    const raw = await child<Drain>('outbox-drain.ts', ['raw', ...args], ctx.serverCpu)
    const relay = await child<RelayDrain>('outbox-drain.ts', ['relay', ...args], ctx.serverCpu)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
    if (relay.published !== count || relay.dead > 0)
      errors.push(`drain ${round}: ${relay.published} of ${count} rows PUBLISHED, ${relay.dead} DEAD`)
    if (relay.onTopic < count)
      errors.push(`drain ${round}: ${relay.onTopic} of ${count} messages on the topic`)
    const rates = `raw kafkajs producer ${int(rateOf(raw))} msg/s, relay drain ${int(rateOf(relay))} events/s`
    console.log(round === 0 ? `  warm-up, ${count} events: ${rates}` : `  [${round}/${ctx.runs}] ${rates}`)
    if (round > 0) {
      raws.push(raw)
      relays.push(relay)
    }
  }
  return { raws, relays, meanBytes }
}

async function measureDelays(ctx: OutboxContext, broker: Broker, rate: number, errors: string[]) {
  const load = await prepareOrderLoad(ctx.dir)
  const prefix = `bench-${broker.runId}-e2e-`
  const server = await ctx.startApp('marketplace-kafka', {
    DATABASE_URL: `file:${load.file}`,
    KAFKA_BROKERS: broker.address,
    KAFKA_TOPIC_PREFIX: prefix,
    JWT_SECRET: load.secret,
    RATE_LIMIT_ORDERS_PER_SECOND: '1000000',
  })
  ctx.onCleanup(() => server.stop())
  const options: LoadOptions = {
    url: `${server.baseUrl}/api/v1/orders`,
    tokens: load.tokens,
    body: load.body,
    rate,
    seconds: ctx.seconds,
    brokers: broker.address,
    topic: new EventTopics(EVENT_CATALOG, prefix).topicOf('order.created')!,
    serverPid: server.process.pid,
  }
  const rounds: Delays[] = []
  try {
    for (let round = 1; round <= ctx.runs; round++) {
      const r = await child<Delays>('outbox-orders.ts', [JSON.stringify(options)], ctx.loadCpu)
      rounds.push(r)
      if (r.failed > 0) errors.push(`delay ${round}: ${r.failed} orders refused (${r.firstFailure})`)
      if (r.missing > 0) errors.push(`delay ${round}: ${r.missing} orders' events never reached the consumer`)
      console.log(
        `  [${round}/${ctx.runs}] ${int(r.rate)} orders/s: commit → consumer p50 ${int(r.p50)} ms, ` +
          `p99 ${int(r.p99)} ms, max ${int(r.max)} ms, ${r.received}/${r.placed} received`,
      )
    }
    await Bun.sleep(1_000) // the last events' consumers settle
    const pids = [server.process.pid, ctx.embeddedPid]
    const before = pids.map(cpuSecondsOf)
    await Bun.sleep(IDLE_SECONDS * 1_000)
    const idle = pids.map((pid, i) => (cpuSecondsOf(pid) - before[i]!) / IDLE_SECONDS)
    return { rounds, idle, buyers: load.buyers }
  } finally {
    await server.stop()
  }
}

/** Deletes the run's topics from a broker the bench did not start (a developer's services:up broker). */
async function deleteRunTopics(address: string, prefix: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench-cleanup',
    brokers: [address],
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.disconnect()
  }
}

export async function runOutboxGroup(ctx: OutboxContext): Promise<{ lines: string[]; ok: boolean }> {
  const events = intEnv('BENCH_OUTBOX_EVENTS', 50_000)
  const rate = intEnv('BENCH_OUTBOX_RATE', 200)
  const up = await servicesKafka.up()
  if (up.isStarted) ctx.onCleanup(() => servicesKafka.down())
  // cleanups run last-in first: a child still running is killed before the broker goes
  ctx.onCleanup(() => {
    for (const proc of children) proc.kill()
  })
  const broker = {
    ...up,
    pid: livePid(join(SERVICES_DIR, 'kafka.pid')),
    runId: randomBytes(4).toString('hex'),
  }
  console.log(
    `\n${OUTBOX_NAME}: broker ${broker.address}, pid ${broker.pid} (${up.isStarted ? 'started' : 'reused'})`,
  )
  const drainErrors: string[] = []
  const delayErrors: string[] = []
  try {
    const drains = await measureDrains(ctx, broker, events, drainErrors)
    const delays = await measureDelays(ctx, broker, rate, delayErrors)
    const relayRate = median(drains.relays.map(rateOf))
    const rawRate = median(drains.raws.map(rateOf))
    const runsOf = (runs: Drain[]) => runs.map((r) => int(rateOf(r))).join(' / ')
    const cpuOf = (runs: Drain[]) =>
      `process CPU ${pct(median(runs.map((r) => r.cpu)))}, broker CPU ${pct(median(runs.map((r) => r.brokerCpu)))}`
    const { rounds, idle } = delays
    const sum = (key: keyof Delays) => rounds.reduce((total, r) => total + Number(r[key]), 0)
    const mid = (key: keyof Delays) => median(rounds.map((r) => Number(r[key])))
    const verdict = (pass: boolean, errors: string[]) => (pass && errors.length === 0 ? 'PASS' : 'FAIL')
    const batchSize = loadConfig({ OUTBOX_BATCH_SIZE: process.env.OUTBOX_BATCH_SIZE }).outbox.batchSize
    const lines = [
      `${OUTBOX_NAME} (one Kafka 3.9.1 broker JVM, not pinned: it shares both CPUs with server and load side; ` +
        `relay and raw producer on CPU ${ctx.serverCpu ?? '-'}, consumer and HTTP load on CPU ${ctx.loadCpu ?? '-'})`,
      `relay drain of ${int(events)} order.created events (≈ ${int(drains.meanBytes)} B each, batch ${batchSize}): ` +
        `${int(relayRate)} events/s (runs ${runsOf(drains.relays)}), ${cpuOf(drains.relays)}`,
      `raw kafkajs idempotent producer, same messages and batches, no database: ${int(rawRate)} msg/s ` +
        `(runs ${runsOf(drains.raws)}), ${cpuOf(drains.raws)}`,
      `relay = ${((relayRate / rawRate) * 100).toFixed(1)} % of the raw producer`,
      `order commit → consumer receipt at ${int(rate)} orders/s (${delays.buyers} buyers, ${ctx.runs} × ` +
        `${ctx.seconds} s): p50 ${int(mid('p50'))} ms, p99 ${int(mid('p99'))} ms, ` +
        `max ${int(Math.max(...rounds.map((r) => r.max)))} ms; ${sum('received')} events for ${sum('placed')} ` +
        `orders (${sum('missing')} missing, ${sum('duplicates')} duplicates); HTTP p99 ` +
        `${mid('httpP99').toFixed(1)} ms; server CPU ${pct(mid('serverCpu'))}`,
      `idle CPU over ${IDLE_SECONDS} s: Kafka-mode server ${pct(idle[0]!, 1)}, embedded server ` +
        `${pct(idle[1]!, 1)} of a core`,
      `relay ≥ ${int(GOAL.eventsPerSecond)} events/s: ${verdict(relayRate >= GOAL.eventsPerSecond, drainErrors)} ` +
        `(${int(relayRate)} events/s)`,
      `commit → consumer p99 < ${GOAL.p99Ms / 1000} s: ${verdict(mid('p99') < GOAL.p99Ms, delayErrors)} ` +
        `(${int(mid('p99'))} ms)`,
      ...[...drainErrors, ...delayErrors].map((error) => `ERROR: ${error}`),
    ]
    return { lines, ok: drainErrors.length + delayErrors.length === 0 }
  } finally {
    if (!up.isStarted) {
      await deleteRunTopics(broker.address, `bench-${broker.runId}-`).catch((error: Error) => {
        console.warn(`warning: the run's topics were not deleted: ${error.message}`)
      })
    }
  }
}
