/**
 * `bun run load <scenario> [--instances N] [--base-url URL] [--vus N] [--seconds S] [--buyers N] [--stock N]`:
 * the k6 scenarios of k6/ run here without k6 (not permitted on these machines), in the same shapes, with the
 * same SLOs (k6/lib/slo.js) and invariants (scripts/load/scenarios.ts), printing what k6 would: requests per
 * second, p50/p95/p99 per endpoint, answers by status, and each threshold PASS/FAIL (exit 1 on a FAIL).
 *
 * Without --base-url it starts the multi-instance stack of `bun run cluster` on a free port — the services of
 * `services:up` (a sqld primary and replica, Redis, Kafka), the simulators, and N instances (default 2) on one
 * port — with the settings every k6 script's header asks for: TRUSTED_PROXIES=127.0.0.1/32 (each virtual user
 * sends its own X-Forwarded-For), the per-IP and per-member limits at their defaults (one account per user), the
 * access log sampled at 0 % (5xx and slow requests only). It stops the instances afterwards (the services stay
 * up for the next run: `bun run services:down`).
 *
 * Scenarios: concurrency, smoke, browse-and-order, spike, soak, circuit-breaker.
 */
import { parseArgs } from 'node:util'
import { Client } from './load/client'
import { Recorder } from './load/recorder'
import { type LoadSettings, SCENARIOS } from './load/scenarios'
import { freePort, stopProcess, untilAnswering } from './service-processes'

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    instances: { type: 'string', default: '2' },
    'base-url': { type: 'string' },
    vus: { type: 'string' },
    seconds: { type: 'string' },
    buyers: { type: 'string' },
    stock: { type: 'string' },
  },
  allowPositionals: true,
})

const name = positionals[0]
const scenario = name ? SCENARIOS[name] : undefined
if (!name || !scenario) {
  console.error(
    `usage: bun run load <${Object.keys(SCENARIOS).join('|')}> [--instances N] [--base-url URL] …`,
  )
  process.exit(2)
}
const number = (value: string | undefined) => (value === undefined ? undefined : Number(value))
const settings: LoadSettings = {
  vus: number(values.vus),
  seconds: number(values.seconds),
  buyers: number(values.buyers),
  stock: number(values.stock),
}

/** How long the cluster may take, once it answers, until every instance listens (cluster.ts says 'ready'). */
const ALL_LISTENING_TIMEOUT_MS = 60_000
/** The cluster's own SIGTERM drains and stops its instances: give it the time that takes. */
const CLUSTER_STOP_GRACE_MS = 30_000

/**
 * The cluster of `bun run cluster`, started with the load scenarios' settings; resolves once every instance
 * listens (the shared port answering only says that one does). On a failure the cluster is stopped first.
 */
async function startCluster(instances: number) {
  const port = freePort()
  const allListening = Promise.withResolvers<void>()
  const cluster = Bun.spawn(
    ['bun', `${import.meta.dir}/cluster.ts`, '--instances', String(instances), '--port', String(port)],
    {
      env: {
        ...process.env,
        TRUSTED_PROXIES: '127.0.0.1/32',
        ACCESS_LOG_SAMPLE_PERCENT: '0',
        LOG_LEVEL: 'warn',
      },
      stdout: 'inherit',
      stderr: 'inherit',
      ipc(message) {
        if (message === 'ready') allListening.resolve()
      },
    },
  )
  const baseUrl = `http://127.0.0.1:${port}`
  const stop = () => stopProcess(cluster, CLUSTER_STOP_GRACE_MS)
  // a first run fetches the Kafka jars: minutes
  await untilAnswering(`${baseUrl}/actuator/health/readiness`, cluster, 'the cluster', {
    timeoutMs: 600_000,
    graceMs: CLUSTER_STOP_GRACE_MS,
  })
  const isAllListening = await Promise.race([
    allListening.promise.then(() => true),
    cluster.exited.then(() => false),
    Bun.sleep(ALL_LISTENING_TIMEOUT_MS).then(() => false),
  ])
  if (!isAllListening) {
    await stop()
    throw new Error(
      `the cluster's ${instances} instance(s) did not all listen on ${baseUrl}: see its output above`,
    )
  }
  return { baseUrl, stop }
}

const instances = Number(values.instances)
const cluster = values['base-url'] ? undefined : await startCluster(instances)
const baseUrl = values['base-url'] ?? cluster!.baseUrl
const recorder = new Recorder()
const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
console.log(`\nload ${name} against ${baseUrl}${cluster ? ` (${instances} instance(s))` : ''}`)
let thresholds: Awaited<ReturnType<typeof scenario>>
try {
  thresholds = await scenario(new Client(baseUrl, recorder, runId), recorder, settings)
} finally {
  await cluster?.stop()
}
console.log(`\n${recorder.summary(thresholds)}`)
process.exit(thresholds.every((threshold) => threshold.isMet) ? 0 : 1)
