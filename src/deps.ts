/**
 * createDeps builds every client the app uses, by hand and in one place; closeDeps releases them. Tests build
 * the same deps against a temporary database file, so what they exercise is what runs.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import packageJson from '../package.json'
import type { Config } from './config'
import { EVENT_CATALOG } from './event-catalog'
import type { Lifecycle } from './http/health'
import { visibleProductIds } from './modules/catalog/products.repository'
import { RefundWorker } from './modules/payments/refund-worker'
import { refundStore } from './modules/payments/refunds.repository'
import { JwtCodec } from './platform/auth/jwt'
import { argon2idHasher, type PasswordHasher } from './platform/auth/password-hasher'
import {
  DatabaseTokenBlacklist,
  localRevocations,
  RedisTokenBlacklist,
  remoteRevocations,
  type TokenBlacklist,
} from './platform/auth/token-blacklist'
import { CacheInvalidation } from './platform/cache/cache-invalidation'
import { LocalCache } from './platform/cache/local-cache'
import { type ReadCache, TwoLevelCache, UncachedReads } from './platform/cache/two-level-cache'
import {
  closeDatabase,
  type Database,
  openConfiguredDatabase,
  primaryDbOf,
  readRouterOf,
} from './platform/db/connections'
import type { ReadRouter } from './platform/db/read-routing'
import { openRemoteDependencies, type RemoteDependencies } from './platform/dependencies/remote-dependencies'
import { EventTopics } from './platform/events/contract'
import {
  createEventMetrics,
  type EventMetrics,
  registerBacklogGauges,
  registerConsumerLagGauge,
} from './platform/events/event-metrics'
import type { EventPublisher, EventSubscriber } from './platform/events/event-publisher'
import { tracedPublisher, tracedSubscriber } from './platform/events/event-tracing'
import { InProcessEventBus } from './platform/events/in-process-event-bus'
import { KafkaEventPublisher } from './platform/events/kafka-event-publisher'
import { KafkaEventSubscriber } from './platform/events/kafka-event-subscriber'
import { OutboxRelay } from './platform/events/outbox-relay'
import { OutboxStore } from './platform/events/outbox-store'
import { RemoteOutboxStore } from './platform/events/remote-outbox-store'
import {
  type AttemptLimiter,
  InMemoryAttemptLimiter,
  RedisAttemptLimiter,
} from './platform/limits/attempt-limiter'
import { BatchedRedisRateLimiter } from './platform/limits/batched-rate-limiter'
import { InMemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './platform/limits/rate-limiter'
import {
  type AccessLogger,
  createAccessLogger,
  createLogger,
  type Logger,
} from './platform/observability/logger'
import { createMetrics, type Metrics } from './platform/observability/metrics'
import { isTracing, startTracing, stopTracing } from './platform/observability/tracing'
import { CursorCodec } from './platform/paging/cursor-codec'
import { createRedis, type RedisHandle } from './platform/redis/redis'
import { CircuitBreakers } from './platform/resilience/circuit-breaker'

/** Work a process does in the background once it serves (refunds, unpaid-order expiry). */
export type BackgroundJob = { start(): void; stop(): Promise<void> }

export type Deps = {
  config: Config
  logger: Logger
  /** the access log's buffered logger (src/http/request-context.ts) */
  accessLog: AccessLogger
  metrics: Metrics
  /** the configured database: a local file, a libSQL server, or an embedded replica of one (connections.ts) */
  database: Database
  reads: ReadRouter
  /** set when REDIS_URL is: the blacklist and login throttling live there, shared by every instance */
  redis: RedisHandle | undefined
  /** every circuit breaker, for health and metrics */
  breakers: CircuitBreakers
  /** product detail, popular products, categories (L1 + Redis L2 when REDIS_URL is set) */
  cache: ReadCache
  cacheInvalidation: CacheInvalidation | undefined
  jwt: JwtCodec
  cursors: CursorCodec
  tokenBlacklist: TokenBlacklist
  /** failed logins per (account, client address), per address, per account: see config.login */
  loginLimiters: { pair: AttemptLimiter; ip: AttemptLimiter; account: AttemptLimiter }
  /** SPEC §7 request limits and signups per client address; undefined when configured off (0) */
  rateLimiters: {
    orders: RateLimiter | undefined
    ip: RateLimiter | undefined
    signup: RateLimiter | undefined
  }
  /** argon2id; an interface so tests can count the hashes a request costs */
  passwordHasher: PasswordHasher
  /** outbox → Kafka (KAFKA_BROKERS) or the in-process bus; started by src/event-flow.ts after listen */
  events: {
    publisher: EventPublisher
    subscriber: EventSubscriber
    relay: OutboxRelay
    metrics: EventMetrics
    /** event type → topic (with KAFKA_TOPIC_PREFIX), from src/event-catalog.ts */
    topics: EventTopics
  }
  /** the payment gateway and the recommendation service (SPEC §7), or the simulators started for them */
  remote: RemoteDependencies
  /** pays out the refunds cancellations owe; started by src/event-flow.ts after listen */
  refunds: RefundWorker
  /**
   * the background jobs src/event-flow.ts starts after listen and closeDeps stops: the refund worker, and what the
   * services register (the unpaid-order expiry, src/services.ts)
   */
  jobs: BackgroundJob[]
  lifecycle: Lifecycle
  info: {
    name: string
    version: string
    git: { commit: string }
    runtime: { name: string; version: string; platform: string }
  }
}

/**
 * What a caller may supply instead of the configured one, at construction rather than by replacing a member of
 * the built deps: its own logger (tests read the lines).
 */
export type DepsOverrides = Partial<Pick<Deps, 'logger'>>

/**
 * Opens the database (a libSQL primary is reached, authenticated and migrated here) and builds the rest. Tracing
 * starts first (the event transport is wrapped in spans only when it is on) and is stopped again when a later step
 * fails, so the process can call createDeps again.
 */
export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  if (config.tracing) startTracing(config.tracing)
  try {
    return await buildDeps(config, overrides)
  } catch (error) {
    if (config.tracing) await stopTracing()
    throw error
  }
}

async function buildDeps(config: Config, overrides: DepsOverrides): Promise<Deps> {
  const logger = overrides.logger ?? createLogger(config.logLevel)
  const metrics = createMetrics()
  const breakers = new CircuitBreakers(metrics.circuitBreakerState, logger, metrics.circuitBreakerTransitions)
  const database = await openConfiguredDatabase(config.database)
  const reads = readRouterOf(database, config.readYourWritesMs)
  const remote = await openRemoteDependencies(config.dependencies, breakers, metrics, () =>
    visibleProductIds(reads.primary),
  )
  const windowMs = config.login.windowSeconds * 1000
  const redis = config.redis && createRedis(config.redis, breakers, logger)
  const cacheInvalidation = redis && config.cache.isEnabled ? new CacheInvalidation(redis, logger) : undefined
  const limiter = (maxFailures: number): AttemptLimiter =>
    redis
      ? new RedisAttemptLimiter(redis, maxFailures, windowMs, logger)
      : new InMemoryAttemptLimiter(maxFailures, windowMs)
  const rateLimiter = (
    scope: 'orders' | 'ip' | 'signup',
    limit: number,
    windowMs = config.rateLimit.windowMs,
  ): RateLimiter | undefined => {
    if (limit === 0) return undefined
    const settings = { limit, windowMs }
    if (!redis) return new InMemoryRateLimiter(settings)
    // per order or signup, one exact round trip; per request (the IP scope), batched counts (batched-rate-limiter.ts)
    return scope === 'ip'
      ? new BatchedRedisRateLimiter(redis, scope, settings, logger)
      : new RedisRateLimiter(redis, scope, settings, logger)
  }
  const refunds = new RefundWorker(
    refundStore(primaryDbOf(database)),
    remote.payments,
    metrics.payments,
    logger,
  )
  return {
    config,
    logger,
    accessLog: createAccessLogger(config.logLevel),
    metrics,
    database,
    reads,
    jwt: new JwtCodec(config.jwt),
    cursors: new CursorCodec(config.jwt.secret),
    redis,
    breakers,
    cache: config.cache.isEnabled
      ? new TwoLevelCache({
          l1: new LocalCache(config.cache.l1MaxEntries),
          l1TtlMs: config.cache.l1TtlMs,
          metrics: metrics.cache,
          logger,
          redis,
          invalidation: cacheInvalidation,
        })
      : new UncachedReads(),
    cacheInvalidation,
    // without Redis in the database, so a logout survives a restart (SPEC §2)
    tokenBlacklist: redis
      ? new RedisTokenBlacklist(redis, logger)
      : new DatabaseTokenBlacklist(
          database.mode === 'file'
            ? localRevocations(database.local)
            : remoteRevocations(database.remote.client),
          logger,
        ),
    loginLimiters: {
      pair: limiter(config.login.maxFailures),
      ip: limiter(config.login.ipMaxFailures),
      account: limiter(config.login.accountMaxFailures),
    },
    rateLimiters: {
      orders: rateLimiter('orders', config.rateLimit.ordersPerMember),
      ip: rateLimiter('ip', config.rateLimit.perIp),
      signup: rateLimiter('signup', config.signup.maxPerIp, config.signup.windowSeconds * 1000),
    },
    passwordHasher: argon2idHasher,
    events: createEvents(config, database, metrics, logger),
    remote,
    refunds,
    jobs: [refunds],
    lifecycle: { isReady: false, isDraining: false },
    info: {
      name: packageJson.name,
      version: packageJson.version,
      git: { commit: config.gitCommit || gitCommitOfCheckout() },
      runtime: { name: 'bun', version: Bun.version, platform: `${process.platform}-${process.arch}` },
    },
  }
}

/**
 * Opens the connections createDeps made lazily and starts the blacklist's upkeep. An unreachable Redis rejects
 * here; main.ts starts anyway (the client reconnects by itself and every Redis user fails open, see platform/),
 * tests let it fail.
 */
export async function connectDeps(deps: Deps): Promise<void> {
  deps.tokenBlacklist.start?.()
  // both started even if one fails: each keeps reconnecting by itself
  const started = await Promise.allSettled([deps.redis?.connect(), deps.cacheInvalidation?.start()])
  const failure = started.find((result) => result.status === 'rejected')
  if (failure) throw failure.reason
}

/**
 * Kafka when KAFKA_BROKERS is set, else the in-process bus (SPEC §2); the relay is built either way (a bench can
 * `drain()` it) and runs only once started. The relay's owner id is unique per process, for its leases.
 */
function createEvents(config: Config, database: Database, metrics: Metrics, logger: Logger) {
  const eventMetrics = createEventMetrics(metrics.registry)
  const topics = new EventTopics(EVENT_CATALOG, config.kafka?.topicPrefix ?? '')
  const { publisher, subscriber } = eventTransport(config, topics, logger)
  const relay = new OutboxRelay(
    database.mode === 'file'
      ? new OutboxStore(database.local)
      : new RemoteOutboxStore(database.remote.client),
    publisher,
    {
      ...config.outbox,
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      topics,
    },
    eventMetrics.outbox,
    logger,
  )
  registerBacklogGauges(metrics.registry, () => relay.backlog())
  if (config.kafka) registerConsumerLagGauge(metrics.registry, () => subscriber.consumerLag())
  return { publisher, subscriber, relay, metrics: eventMetrics, topics }
}

function eventTransport(
  config: Config,
  topics: EventTopics,
  logger: Logger,
): { publisher: EventPublisher; subscriber: EventSubscriber } {
  const transport = transportOf(config, topics, logger)
  if (!isTracing()) return transport
  return {
    publisher: tracedPublisher(transport.publisher),
    subscriber: tracedSubscriber(transport.subscriber),
  }
}

function transportOf(
  config: Config,
  topics: EventTopics,
  logger: Logger,
): { publisher: EventPublisher; subscriber: EventSubscriber } {
  if (!config.kafka) {
    const bus = new InProcessEventBus()
    return { publisher: bus, subscriber: bus }
  }
  return {
    publisher: new KafkaEventPublisher(config.kafka, topics.all(), logger),
    subscriber: new KafkaEventSubscriber(config.kafka, topics.all(), logger),
  }
}

export async function closeDeps(deps: Deps): Promise<void> {
  // the relay first: it finishes its batch (and records it) while the database and the broker are still there
  await deps.events.relay.stop()
  await deps.events.subscriber.close()
  await deps.events.publisher.close()
  await deps.cacheInvalidation?.close()
  await deps.tokenBlacklist.stop?.()
  await Promise.all(deps.jobs.map((job) => job.stop()))
  await deps.redis?.close()
  await deps.remote.close()
  closeDatabase(deps.database)
  deps.accessLog.close()
  await stopTracing() // last: the spans of everything above are sent
}

function gitCommitOfCheckout(): string {
  try {
    const result = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { stderr: 'ignore' })
    return result.success ? result.stdout.toString().trim() : 'unknown'
  } catch {
    return 'unknown'
  }
}
