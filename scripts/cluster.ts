/**
 * `bun run cluster -- --instances 2`: the scale-out path on one machine, with nothing home-made in it. Starts (or
 * reuses) the services of `bun run services:up` — a sqld primary with one sqld replica, Redis, Kafka — and N
 * instances of the server (`bun src/main.ts`) on ONE port: each binds it with SO_REUSEPORT and the Linux kernel
 * spreads connections over them. The instances share what instances must: the database (the sqld primary),
 * Redis (cache invalidation, rate limits, the token blacklist), Kafka (events) and one JWT secret.
 *
 * `--reads embedded` (default): each instance keeps its own embedded replica file of the primary
 * (DATABASE_URL=file:… + DATABASE_SYNC_URL) and serves catalog reads from it. `--reads server`: each instance
 * talks to the primary directly and reads from the sqld replica (DATABASE_REPLICA_URLS).
 * With REDIS_URL, KAFKA_BROKERS, SQLD_URL and SQLD_REPLICA_URL all set, those are used instead of starting any.
 * The payment gateway and recommendation simulators run once, as processes of their own that every instance
 * uses (a fault injected through any instance breaks the dependency for all, as a real outage would), unless
 * PAYMENT_URL / RECOMMENDATION_URL name real ones.
 * Once every instance listens on the port it says so, and sends 'ready' to a parent that spawned it with an IPC
 * channel (`bun run load` waits for it: the shared port answering only says that one instance does).
 * Ctrl-C stops the instances (SIGTERM, graceful); `bun run services:down` stops the services.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, SERVICES_DIR, stopProcess, untilAnswering } from './service-processes'
import { servicesUp } from './services'

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
    reads: { type: 'string', default: 'embedded' },
    /** where the instances keep their replica files and uploads (default .services/cluster, emptied first) */
    dir: { type: 'string' },
  },
})
const instances = Number(values.instances)
const port = Number(values.port)
if (!Number.isInteger(instances) || instances < 1 || instances > 16) fail('--instances: 1..16')
if (!Number.isInteger(port) || port < 1 || port > 65_535) fail('--port: 1..65535')
if (values.reads !== 'embedded' && values.reads !== 'server') fail('--reads: embedded or server')

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

// SO_REUSEPORT would let the new instances share the port with servers already on it (an earlier cluster, say),
// and the kernel would spread requests over both: refuse instead
const isPortServing = await fetch(`http://127.0.0.1:${port}/actuator/health`, {
  signal: AbortSignal.timeout(500),
})
  .then(() => true)
  .catch(() => false)
if (isPortServing) fail(`something already serves http://127.0.0.1:${port}: stop it or pass --port`)

// the services of `services:up`, or the ones the environment names (all four set: a test's own, say)
const { REDIS_URL, KAFKA_BROKERS, SQLD_URL, SQLD_REPLICA_URL } = process.env
const services =
  REDIS_URL && KAFKA_BROKERS && SQLD_URL && SQLD_REPLICA_URL
    ? { REDIS_URL, KAFKA_BROKERS, SQLD_URL, SQLD_REPLICA_URL }
    : await servicesUp()
const dir = values.dir ?? join(SERVICES_DIR, 'cluster')
rmSync(dir, { recursive: true, force: true }) // embedded replicas start from the primary, not from an old file
mkdirSync(dir, { recursive: true })
// one secret for all: a token signed by one instance is checked by another
const jwtSecret =
  process.env.JWT_SECRET ?? Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url')

function databaseEnv(instance: number): Record<string, string> {
  if (values.reads === 'server') {
    return { DATABASE_URL: services.SQLD_URL!, DATABASE_REPLICA_URLS: services.SQLD_REPLICA_URL! }
  }
  return {
    DATABASE_URL: `file:${join(dir, `instance-${instance}.db`)}`,
    DATABASE_SYNC_URL: services.SQLD_URL!,
  }
}

/** A simulator of src/simulators as a process of its own on a free port; its URL. */
function startSimulator(name: 'payment-gateway' | 'recommendations', env: Record<string, string> = {}) {
  const simulatorPort = freePort()
  const child = Bun.spawn(['bun', join(import.meta.dir, '..', 'src', 'main.ts'), 'simulate', name], {
    env: { ...process.env, ...env, PORT: String(simulatorPort), HOST: '127.0.0.1' },
    stdout: 'inherit',
    stderr: 'inherit',
  })
  return { child, url: `http://127.0.0.1:${simulatorPort}` }
}
const simulators = {
  payment: process.env.PAYMENT_URL ? undefined : startSimulator('payment-gateway'),
  // the demo catalog's product ids
  recommendation: process.env.RECOMMENDATION_URL
    ? undefined
    : startSimulator('recommendations', { SIM_PRODUCT_ID_MAX: '20' }),
}
const dependencyUrls = {
  PAYMENT_URL: process.env.PAYMENT_URL ?? simulators.payment!.url,
  RECOMMENDATION_URL: process.env.RECOMMENDATION_URL ?? simulators.recommendation!.url,
}
try {
  await Promise.all(
    Object.entries(simulators).map(
      ([name, simulator]) =>
        simulator &&
        untilAnswering(`${simulator.url}/__control/faults`, simulator.child, `the ${name} simulator`, {
          timeoutMs: 10_000,
        }),
    ),
  )
} catch (error) {
  await Promise.all(Object.values(simulators).map((simulator) => simulator && stopProcess(simulator.child)))
  fail((error as Error).message)
}
for (const [name, url] of Object.entries(dependencyUrls)) {
  if (process.env[name]) await waitForHttp(url, name)
}

/** Resolves once something answers HTTP at `url` (a real dependency's 404 is an answer). */
async function waitForHttp(url: string, name: string) {
  const deadline = Date.now() + 10_000
  while (
    !(await fetch(`${url}/__control/faults`, { signal: AbortSignal.timeout(500) }).catch(() => undefined))
  ) {
    if (Date.now() > deadline) fail(`${name} ${url} did not answer`)
    await Bun.sleep(50)
  }
}

const children = Array.from({ length: instances }, (_, i) =>
  Bun.spawn(['bun', join(import.meta.dir, '..', 'src', 'main.ts')], {
    env: {
      ...process.env,
      ...databaseEnv(i + 1),
      REDIS_URL: services.REDIS_URL!,
      KAFKA_BROKERS: services.KAFKA_BROKERS!,
      JWT_SECRET: jwtSecret,
      ...dependencyUrls,
      PORT: String(port),
      // the demo data once (idempotent anyway), by the first instance
      SEED_DEMO_DATA: String(i === 0),
      UPLOAD_DIR: join(dir, 'uploads'),
    },
    stdout: 'inherit',
    stderr: 'inherit',
  }),
)

console.log(
  `cluster: ${instances} instance(s) on http://127.0.0.1:${port} (reads: ${values.reads}), ` +
    `sqld primary ${services.SQLD_URL}, replica ${services.SQLD_REPLICA_URL}; payment gateway ` +
    `${dependencyUrls.PAYMENT_URL}, recommendations ${dependencyUrls.RECOMMENDATION_URL}; Ctrl-C stops the instances`,
)

/**
 * Whether process `pid` holds a TCP socket listening on `port` (Linux /proc): the kernel spreads connections to
 * it. Where /proc is missing, true: the shared port answering is then the only sign there is.
 */
function isListening(pid: number, port: number): boolean {
  if (!existsSync('/proc/net/tcp')) return true
  const sockets = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]
      if (inode) sockets.add(inode)
    }
  } catch {
    return false // gone, or an fd closed while we read
  }
  const localPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const LISTEN = '0A'
  return ['/proc/net/tcp', '/proc/net/tcp6'].some(
    (table) =>
      existsSync(table) &&
      readFileSync(table, 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .some((f) => f[1]?.endsWith(localPort) && f[3] === LISTEN && sockets.has(f[9] ?? '')),
  )
}

void (async () => {
  const hasExited = () => children.some((child) => child.exitCode !== null || child.signalCode !== null)
  while (!children.every((child) => isListening(child.pid, port))) {
    if (hasExited()) return // the race below stops the cluster
    await Bun.sleep(50)
  }
  console.log(`cluster: all ${instances} instance(s) listen on http://127.0.0.1:${port}`)
  process.send?.('ready')
})()

let isStopping = false
async function stop() {
  if (isStopping) return
  isStopping = true
  for (const child of children) child.kill('SIGTERM')
  await Promise.all(children.map((child) => child.exited))
  for (const simulator of Object.values(simulators)) simulator?.child.kill('SIGTERM')
  await Promise.all(Object.values(simulators).map((simulator) => simulator?.child.exited))
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
// an instance that dies on its own takes the cluster down with it: a half cluster would hide the failure
await Promise.race(children.map((child) => child.exited))
if (!isStopping) {
  console.error('cluster: an instance exited; stopping the others')
  await stop()
}
