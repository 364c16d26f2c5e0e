/**
 * The Redis client (ioredis), one connection per process. Mechanism: created unconnected (`lazyConnect`) and
 * connected by `connect()` at start; after any loss ioredis reconnects by itself with backoff. There is no
 * offline queue (`enableOfflineQueue: false`), so while disconnected a command fails at once instead of waiting
 * for a reconnect (INFRA.md measured 73.6 s with the defaults), and a command on a stuck connection fails after
 * `commandTimeoutMs`. Every command goes through `run` or `runBatch`, i.e. through the `redis` circuit breaker
 * (circuit-breaker.ts): after a run of failures it stops calling Redis at all and probes it back later, so a hung
 * Redis costs the command timeout a few times, not once per request. Guarantee: no request ever waits on Redis
 * longer than the command timeout; what a failure means is decided by each caller (token-blacklist.ts,
 * attempt-limiter.ts, two-level-cache.ts). Keys are prefixed by the callers
 * (`<keyPrefix><what>:<id>`), never by ioredis, so what the code writes is what `redis-cli` shows.
 *
 * What the breaker counts as a failure: every rejection of the function it runs — a command timeout, a closed
 * connection, an error reply (WRONGTYPE, OOM, READONLY …) — and, for a pipeline or MULTI, any one of its commands
 * failing: ioredis's `exec()` resolves with `[error, reply]` per command even when every command timed out, which
 * the breaker would take for a success (a per-IP rate-limit batch every 20 ms then kept resetting the failure
 * count, so a hung Redis never opened it). Hence `runBatch`, which rejects then, and a `run` signature that does
 * not compile with exec()'s replies. Callers must let failures reach the breaker: catch outside `run`, never inside.
 * A refusal while the breaker is open (BrokenCircuitError) is not counted; a reply that merely says "no" (a nil
 * GET, a `SET … NX` that lost) is a success: Redis answered.
 */
import { SpanKind } from '@opentelemetry/api'
import Redis, { type ChainableCommander } from 'ioredis'
import type { Config } from '../../config'
import { createFailureLog, type Logger } from '../observability/logger'
import { inSpan } from '../observability/tracing'
import type { CircuitBreakers } from '../resilience/circuit-breaker'

/** The span of a Redis call (src/platform/observability/tracing.ts; nothing when tracing is off). */
const REDIS_SPAN = { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis' } }

/** REDIS_* as config.ts declares them */
export type RedisSettings = NonNullable<Config['redis']>

export type RedisHandle = {
  /** Commands go through `run`/`runBatch`; the client itself is for setup (`defineCommand`, `duplicate`). */
  client: Redis
  keyPrefix: string
  /**
   * Runs commands through the circuit breaker: rejects at once (BrokenCircuitError) while it is open. Not for a
   * pipeline or MULTI (the compiler refuses a callback that resolves with exec()'s replies): `runBatch`.
   */
  run<T>(
    commands: (client: Redis) => Promise<T>,
    ...pipelinesGoThroughRunBatch: NotBatchReplies<T>
  ): Promise<T>
  /**
   * Sends the pipeline or MULTI that `build` queues (without calling exec) through the circuit breaker; resolves
   * with each command's reply, rejects (and the breaker counts a failure) when any command failed.
   */
  runBatch(build: (client: Redis) => ChainableCommander): Promise<unknown[]>
  /** Opens the connection; rejects when Redis cannot be reached now (the client keeps retrying anyway). */
  connect(): Promise<void>
  /** PING round trip in milliseconds; rejects when Redis is unreachable. */
  ping(): Promise<number>
  close(): Promise<void>
}

/** What exec() of a pipeline or MULTI resolves with: `[error, reply]` per command; null for a discarded MULTI. */
type BatchReplies = [error: Error | null, reply: unknown][] | null
/** `run`'s extra parameter: none, except for exec()'s replies, where the missing argument is a compile error. */
type NotBatchReplies<T> = [T] extends [BatchReplies] ? [never] : []

/** How often one kind of Redis failure may be logged: an outage must not turn into one log line per request. */

export function createRedis(settings: RedisSettings, breakers: CircuitBreakers, logger: Logger): RedisHandle {
  const client = new Redis(settings.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: settings.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(2_000, settings.commandTimeoutMs * 4),
  })
  const logConnectionError = createFailureLog(logger, 'redis connection failed; reconnecting')
  client.on('error', logConnectionError)
  let wasReady = false
  client.on('ready', () => {
    if (wasReady) logger.info('redis reconnected')
    wasReady = true
  })
  const breaker = breakers.create('redis', settings.breaker)
  return {
    client,
    keyPrefix: settings.keyPrefix,
    // the signature's extra parameter is a compile-time guard only, never passed: no rest array per call
    run: (<T>(commands: (client: Redis) => Promise<T>) =>
      inSpan('redis', REDIS_SPAN, () => breaker.execute(() => commands(client)))) as RedisHandle['run'],
    runBatch: (build) =>
      inSpan('redis batch', REDIS_SPAN, () => breaker.execute(() => repliesOf(build(client)))),
    async connect() {
      if (client.status === 'wait') await client.connect()
    },
    async ping() {
      const startedAt = performance.now()
      await client.ping()
      return Math.round((performance.now() - startedAt) * 100) / 100
    },
    async close() {
      if (client.status === 'ready') await client.quit().catch(() => undefined)
      client.disconnect()
    },
  }
}

/** Sends the batch; its replies in order, or the first failed command's error (a failure for the breaker). */
async function repliesOf(batch: ChainableCommander): Promise<unknown[]> {
  const results = await batch.exec()
  if (results === null) throw new Error('MULTI was discarded')
  const failed = results.find(([error]) => error !== null)
  if (failed) throw failed[0]
  return results.map(([, reply]) => reply)
}
