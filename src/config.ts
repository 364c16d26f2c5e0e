/**
 * The only reader of the environment. Every setting is parsed once at start, with its default here and nowhere
 * else; a bad value stops the start with one message naming every bad variable (SPEC §2).
 */
import { isIP } from 'node:net'

/** An IPv4 or IPv6 network: `10.0.0.0/8`, `fd00::/8`; a plain address is a /32 or /128. */
export type Cidr = Readonly<{ address: string; prefix: number; family: 'ipv4' | 'ipv6' }>

/**
 * The configuration, typed by its one declaration: `parseEnvironment` below reads every variable and its shape is
 * the type (field docs live there, next to each variable and its default). Platform settings types derive from it
 * (e.g. `NonNullable<Config['kafka']>`), so a setting is declared exactly once.
 */
export type Config = DeepReadonly<ReturnType<typeof parseEnvironment>>

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/** Collects every problem before failing, so one start names every bad variable. */
class EnvReader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  /** `isSecret`: a rejected value is named but never echoed (the message goes to logs). */
  string(
    name: string,
    fallback: string,
    check?: (v: string) => string | undefined,
    options: { isSecret?: boolean } = {},
  ): string {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    const problem = check?.(raw)
    const shown = options.isSecret ? '(redacted)' : JSON.stringify(raw)
    if (problem) this.problems.push(`${name}=${shown}: ${problem}`)
    return raw
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected an integer in ${min}..${max}`)
      return fallback
    }
    return value
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.toLowerCase()
    if (raw === undefined || raw === '') return fallback
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    this.problems.push(`${name}=${JSON.stringify(raw)}: expected true or false`)
    return fallback
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name]
    if (raw === undefined || raw === '') return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`)
    return fallback
  }
}

const MIB = 1024 * 1024
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

function checkRedisUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
      return 'expected a redis:// or rediss:// URL'
    if (!parsed.hostname) return 'needs a host (e.g. redis://127.0.0.1:6379)'
    if (!/^\/?\d*$/.test(parsed.pathname)) return 'the path, when present, must be a database number'
    return undefined
  } catch {
    return 'expected a redis:// URL (e.g. redis://127.0.0.1:6379)'
  }
}

const LIBSQL_SCHEMES = ['libsql:', 'http:', 'https:', 'ws:', 'wss:']

/** A local `file:` path or a libSQL server (sqld, Turso); `serverOnly`: a server. */
function checkDatabaseUrl(url: string, serverOnly = false): string | undefined {
  const expected = serverOnly
    ? 'expected a libSQL server URL (libsql://, http(s)://, ws(s)://)'
    : 'expected file:<path> or a libSQL server URL (libsql://, http(s)://, ws(s)://)'
  if (url.startsWith('file:')) {
    if (serverOnly) return expected
    if (url === 'file:' || url.includes(':memory:'))
      return 'needs a file path (in-memory databases are not shared)'
    if (url.includes('?')) return 'a file: URL takes no options (the driver sets them)'
    return undefined
  }
  try {
    const parsed = new URL(url)
    if (!LIBSQL_SCHEMES.includes(parsed.protocol) || !parsed.hostname) return expected
    // the token goes in DATABASE_AUTH_TOKEN, which is never logged; the URL is
    if (parsed.username || parsed.password || parsed.search) {
      return 'no credentials or options in the URL: put the token in DATABASE_AUTH_TOKEN'
    }
    return undefined
  } catch {
    return expected
  }
}

/**
 * DATABASE_URL and its companions (src/platform/db/connections.ts): a local file (the embedded default), a libSQL
 * server primary, or a local embedded replica of one (DATABASE_URL=file:… with DATABASE_SYNC_URL).
 */
function readDatabase(read: EnvReader, env: Env) {
  // a rejected server URL may hold credentials: named, not echoed (a file path is shown)
  const secretUnlessFile = (name: string) => ({
    isSecret: listOf(env[name] ?? '').some((url) => !url.startsWith('file:')),
  })
  const url = read.string(
    'DATABASE_URL',
    'file:./data/marketplace.db',
    (v) => checkDatabaseUrl(v),
    secretUnlessFile('DATABASE_URL'),
  )
  const syncUrl = read.string(
    'DATABASE_SYNC_URL',
    '',
    (v) => checkDatabaseUrl(v, true),
    secretUnlessFile('DATABASE_SYNC_URL'),
  )
  const isLocalFile = url.startsWith('file:')
  if (syncUrl && !isLocalFile) {
    read.problems.push(
      'DATABASE_SYNC_URL: an embedded replica needs DATABASE_URL=file:<path> for its local file',
    )
  }
  /** read-only replicas: `file:` URLs next to a local file, sqld replica URLs next to a libSQL primary */
  const checkReplica = (entry: string) =>
    isLocalFile && !syncUrl
      ? entry.startsWith('file:')
        ? checkDatabaseUrl(entry)
        : 'next to a local file primary, replicas are file: URLs'
      : checkDatabaseUrl(entry, true)
  const replicaUrls = listOf(
    read.string(
      'DATABASE_REPLICA_URLS',
      '',
      // by position, not by value: a server URL may hold credentials
      (v) =>
        listOf(v)
          .map((entry, i) => ((problem) => problem && `entry ${i + 1}: ${problem}`)(checkReplica(entry)))
          .find((problem) => problem !== undefined),
      secretUnlessFile('DATABASE_REPLICA_URLS'),
    ),
  )
  const remote = {
    /** a Turso/sqld JWT; never logged */
    authToken: read.string('DATABASE_AUTH_TOKEN', '', undefined, { isSecret: true }) || undefined,
    /** the deadline of one call to a libSQL server; past it the request answers 503 (never a hang) */
    timeoutMs: read.int('DATABASE_TIMEOUT_MS', 2_000, 50, 60_000),
  }
  /** how often an embedded replica pulls the primary's new frames (besides right after this instance's writes) */
  const syncIntervalMs = read.int('DATABASE_SYNC_INTERVAL_MS', 1_000, 10, 3_600_000)
  const filePath = url.slice('file:'.length)
  if (syncUrl) {
    return {
      mode: 'embedded-replica' as const,
      filePath,
      primaryUrl: syncUrl,
      replicaUrls,
      syncIntervalMs,
      ...remote,
    }
  }
  if (!isLocalFile) return { mode: 'remote' as const, primaryUrl: url, replicaUrls, ...remote }
  return { mode: 'file' as const, filePath, replicaUrls }
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env)
  const config = parseEnvironment(read, env)
  // a lease that ends before the send does lets another instance claim and send the same rows again
  if (config.kafka && config.outbox.leaseMs <= config.kafka.sendTimeoutMs) {
    read.problems.push(`OUTBOX_LEASE_MS=${config.outbox.leaseMs}: must exceed KAFKA_SEND_TIMEOUT_MS`)
  }
  // at or under the pair's threshold, one address alone could block the account for its owner too
  if (config.login.accountMaxFailures <= config.login.maxFailures) {
    read.problems.push(
      `LOGIN_ACCOUNT_MAX_FAILURES=${config.login.accountMaxFailures}: must exceed LOGIN_MAX_FAILURES`,
    )
  }
  // a breaker cannot wait for more calls than its window holds
  for (const [prefix, dependency] of [
    ['PAYMENT', config.dependencies.payment],
    ['RECOMMENDATION', config.dependencies.recommendation],
  ] as const) {
    if (dependency.breaker.minimumCalls > dependency.breaker.window) {
      read.problems.push(
        `${prefix}_BREAKER_MINIMUM_CALLS=${dependency.breaker.minimumCalls}: must not exceed ${prefix}_BREAKER_WINDOW`,
      )
    }
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}

/** Where each standalone simulator listens unless PORT says otherwise. */
const SIMULATOR_PORTS = { 'payment-gateway': 7101, recommendations: 7102 } as const

export type SimulatorConfig = ReturnType<typeof loadSimulatorConfig>

/**
 * A standalone simulator's settings (`marketplace simulate <name>`, src/simulators/standalone.ts): the app's
 * configuration is not loaded there, only these, checked like it (a bad value is a ConfigError naming it).
 */
export function loadSimulatorConfig(name: keyof typeof SIMULATOR_PORTS, env: Env = process.env) {
  const read = new EnvReader(env)
  const config = {
    port: read.int('PORT', SIMULATOR_PORTS[name], 0, 65535),
    /** 127.0.0.1 unless told (0.0.0.0 in a container) */
    host: read.string('HOST', '127.0.0.1'),
    /** the recommendation simulator recommends from product ids 1..this */
    productIdMax: read.int('SIM_PRODUCT_ID_MAX', 50, 1, 1_000_000),
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}

/** Every variable, its default and its check, once; the returned shape is the Config type. */
function parseEnvironment(read: EnvReader, env: Env) {
  const isEmbedded = !env.DATABASE_URL && !env.REDIS_URL && !env.KAFKA_BROKERS
  const configuredSecret = read.string(
    'JWT_SECRET',
    '',
    (v) => (v.length < 32 ? 'must be at least 32 characters' : undefined),
    { isSecret: true },
  )
  return {
    port: read.int('PORT', 8080, 0, 65535),
    host: read.string('HOST', '0.0.0.0'),
    database: readDatabase(read, env),
    /** after a member's write, that member's reads go to the primary for this long (read-your-writes) */
    readYourWritesMs: read.int('DATABASE_READ_YOUR_WRITES_MS', 5_000, 0, 600_000),
    /** true when no DATABASE_URL/REDIS_URL/KAFKA_BROKERS is set: the embedded default of SPEC §2 */
    isEmbedded,
    seedDemoData: read.bool('SEED_DEMO_DATA', isEmbedded),
    jwt: {
      secret: configuredSecret || randomSecret(),
      /** false when the secret was generated at start (tokens die with the process) */
      isSecretConfigured: configuredSecret !== '',
      issuer: read.string('JWT_ISSUER', 'marketplace'),
      audience: read.string('JWT_AUDIENCE', 'marketplace-api'),
      accessTtlSeconds: read.int('JWT_ACCESS_TTL_SECONDS', 900, 30, 86_400),
      refreshTtlSeconds: read.int('JWT_REFRESH_TTL_SECONDS', 604_800, 60, 90 * 86_400),
    },
    http: {
      bodyLimitBytes: read.int('HTTP_BODY_LIMIT_BYTES', MIB, 1024, 16 * MIB),
      imageMaxBytes: read.int('IMAGE_MAX_BYTES', 10 * MIB, 1024, 50 * MIB),
      maxImagesPerProduct: read.int('MAX_IMAGES_PER_PRODUCT', 5, 1, 50),
      /** browser origins allowed to call the API cross-origin (CORS); empty: no CORS headers at all */
      corsOrigins: listOf(read.string('CORS_ORIGINS', '', (v) => checkEach(v, checkOrigin))),
      /** socket peers whose X-Forwarded-For is believed (src/http/client-address.ts); empty: none is */
      trustedProxies: listOf(read.string('TRUSTED_PROXIES', '', (v) => checkEach(v, checkCidr))).map(
        (entry) => parseCidr(entry) as Cidr,
      ),
    },
    /** a Bearer token that shows health components, besides an ADMIN access token; unset: admins only */
    managementToken:
      read.string(
        'MANAGEMENT_TOKEN',
        '',
        (v) =>
          /^[A-Za-z0-9._~+/-]{32,}=*$/.test(v)
            ? undefined
            : 'at least 32 characters of A-Z a-z 0-9 . _ ~ + / -',
        { isSecret: true },
      ) || undefined,
    uploadDir: read.string('UPLOAD_DIR', './uploads'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    /** the access log (src/http/request-context.ts): share of requests written; 5xx and slow ones always are */
    accessLog: {
      samplePercent: read.int('ACCESS_LOG_SAMPLE_PERCENT', 100, 0, 100),
      slowMs: read.int('ACCESS_LOG_SLOW_MS', 1_000, 1, 600_000),
    },
    /**
     * Login throttling (src/modules/auth/auth.service.ts), failures per fixed window: `maxFailures` per (account,
     * client address) pair, `ipMaxFailures` per address over every account, `accountMaxFailures` per account over
     * every address: much higher than the pair's, so one address can never lock an account's owner out.
     */
    login: {
      maxFailures: read.int('LOGIN_MAX_FAILURES', 5, 1, 1000),
      ipMaxFailures: read.int('LOGIN_IP_MAX_FAILURES', 20, 1, 100_000),
      accountMaxFailures: read.int('LOGIN_ACCOUNT_MAX_FAILURES', 100, 2, 100_000),
      windowSeconds: read.int('LOGIN_FAILURE_WINDOW_SECONDS', 300, 1, 86_400),
    },
    /**
     * Signups per client address per fixed window (aligned to the clock), counted once the body is well formed
     * and before the taken-email lookup and the hash: argon2id is the most expensive thing an anonymous caller
     * can trigger. 0 turns it off. Counted in Redis when REDIS_URL is set, in process otherwise.
     */
    signup: {
      maxPerIp: read.int('SIGNUP_MAX_PER_IP', 20, 0, 1_000_000),
      windowSeconds: read.int('SIGNUP_WINDOW_SECONDS', 600, 1, 86_400),
    },
    /**
     * SPEC §7 request limits, per fixed window of `windowMs` (1 s; tests lengthen it to keep the window edge out
     * of a burst). 0 turns a limit off. Counted in Redis when REDIS_URL is set, in process otherwise.
     */
    rateLimit: {
      ordersPerMember: read.int('RATE_LIMIT_ORDERS_PER_SECOND', 10, 0, 1_000_000),
      perIp: read.int('RATE_LIMIT_IP_PER_SECOND', 100, 0, 10_000_000),
      windowMs: read.int('RATE_LIMIT_WINDOW_MS', 1_000, 100, 60_000),
    },
    /** unset: the database blacklist and in-process throttling and limits (one instance only) */
    redis: readRedis(read),
    /** a PENDING order older than this is cancelled (its stock back) unless the gateway has its payment */
    orderPaymentTimeoutMinutes: read.int('ORDER_PAYMENT_TIMEOUT_MINUTES', 30, 1, 7 * 24 * 60),
    /**
     * The remote dependencies (SPEC §7), each behind a bulkhead, retries (idempotent calls only), a circuit breaker
     * and a per-attempt timeout (src/platform/resilience/dependency.ts). No URL: the app starts the simulator
     * itself, in process (src/simulators); several instances should share one (`bun run sim:payments`).
     */
    dependencies: {
      payment: readDependency(read, 'PAYMENT', { timeoutMs: 2_000, retries: 2, concurrent: 16, queue: 32 }),
      recommendation: readDependency(read, 'RECOMMENDATION', {
        timeoutMs: 300,
        retries: 1,
        concurrent: 8,
        queue: 8,
      }),
    },
    /**
     * The read cache (src/platform/cache/two-level-cache.ts). `l1TtlMs` bounds how long an instance may serve an
     * entry from its own memory when another instance's invalidation did not reach it (Redis down); without Redis
     * the in-process level keeps entries for the cache's full TTL, since every write is seen locally.
     */
    cache: {
      isEnabled: read.bool('CACHE_ENABLED', true),
      l1TtlMs: read.int('CACHE_L1_TTL_MS', 5_000, 0, 3_600_000),
      l1MaxEntries: read.int('CACHE_L1_MAX_ENTRIES', 10_000, 1, 1_000_000),
    },
    /** unset: outbox events go to the in-process bus (SPEC §2 embedded default); consumers still run */
    kafka: readKafka(read),
    /** OpenTelemetry tracing (src/platform/observability/tracing.ts); unset endpoint: off */
    tracing: readTracing(read),
    /** The outbox relay (src/platform/events/outbox-relay.ts) and its health thresholds. */
    outbox: {
      isRelayEnabled: read.bool('OUTBOX_RELAY_ENABLED', true),
      // 100 ms: an idle poll is one UPDATE matching nothing (tens of µs), an event waits 50 ms on average, and a
      // full batch is followed by the next at once
      pollIntervalMs: read.int('OUTBOX_POLL_INTERVAL_MS', 100, 10, 60_000),
      // 100: a batch is a few write transactions of its size (claim, consumer inbox, mark) that orders wait behind:
      // order p99 against drain rate per batch size in docs/performance.md
      batchSize: read.int('OUTBOX_BATCH_SIZE', 100, 1, 10_000),
      leaseMs: read.int('OUTBOX_LEASE_MS', 30_000, 1_000, 3_600_000),
      /** a row failing this many times for a reason of its own becomes DEAD */
      maxAttempts: read.int('OUTBOX_MAX_ATTEMPTS', 10, 1, 1_000),
      /** first retry delay of a failed row; doubles per attempt up to 5 minutes */
      retryBaseMs: read.int('OUTBOX_RETRY_BASE_MS', 1_000, 10, 3_600_000),
      retentionHours: read.int('OUTBOX_RETENTION_HOURS', 168, 1, 24 * 365),
      /**
       * how long a consumer remembers an event id (inbox_events): longer than the topics keep messages (the
       * broker's default, 7 days), or a replay from an old offset could deliver an event its inbox has forgotten
       */
      inboxRetentionHours: read.int('INBOX_RETENTION_HOURS', 192, 1, 24 * 3650),
      /** health `outbox` is DOWN when the oldest pending event is older than this */
      maxPendingAgeSeconds: read.int('OUTBOX_MAX_PENDING_AGE_SECONDS', 60, 1, 86_400),
    },
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    /** SIGTERM: keep serving this long with readiness DOWN, so load balancers stop routing here first */
    shutdownDrainDelayMs: read.int('SHUTDOWN_DRAIN_DELAY_MS', 3_000, 0, 60_000),
    /** set at build time; otherwise read from git at start when available */
    gitCommit: read.string('GIT_COMMIT', ''),
  }
}

/** A comma-separated list, entries trimmed, empty entries dropped. */
function listOf(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
}

function checkEach(list: string, check: (entry: string) => string | undefined): string | undefined {
  for (const entry of listOf(list)) {
    const problem = check(entry)
    if (problem) return `${JSON.stringify(entry)}: ${problem}`
  }
  return undefined
}

/** An origin as browsers send it: scheme, host and port only (`https://shop.example`, no path or slash). */
function checkOrigin(entry: string): string | undefined {
  try {
    const url = new URL(entry)
    if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry) return undefined
  } catch {}
  return 'expected an origin such as https://shop.example (scheme, host, optional port; no path)'
}

function checkCidr(entry: string): string | undefined {
  return parseCidr(entry) ? undefined : 'expected an IPv4 or IPv6 address or CIDR (10.0.0.0/8, fd00::/8)'
}

/**
 * `address[/prefix]`, IPv4 or IPv6 (no zone id); undefined when malformed. The prefix defaults to the full
 * length (one address). Host bits may be set (`10.1.2.3/8` is `10.0.0.0/8`), as in most proxy settings.
 */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/')
  const version = isIP(address)
  if (rest.length > 0 || version === 0 || address.includes('%')) return undefined
  const maxPrefix = version === 4 ? 32 : 128
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText)
  if (prefix > maxPrefix) return undefined
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

function readRedis(read: EnvReader) {
  // the URL may carry a password: a rejected one is named, not echoed
  const url = read.string('REDIS_URL', '', checkRedisUrl, { isSecret: true })
  const keyPrefix = read.string('REDIS_KEY_PREFIX', 'marketplace:')
  const commandTimeoutMs = read.int('REDIS_COMMAND_TIMEOUT_MS', 500, 10, 60_000)
  /** the circuit breaker: opens after this many failed commands in a row, probes again after `openMs` */
  const breaker = {
    failureThreshold: read.int('REDIS_BREAKER_FAILURES', 5, 1, 1000),
    openMs: read.int('REDIS_BREAKER_OPEN_MS', 5_000, 50, 600_000),
  }
  return url ? { url, keyPrefix, commandTimeoutMs, breaker } : undefined
}

/** The variables of each dependency, after its prefix (`PAYMENT_URL`, …): docs/configuration.md lists them all. */
export const DEPENDENCY_VARIABLES = [
  'URL',
  'TIMEOUT_MS',
  'RETRIES',
  'BULKHEAD_MAX_CONCURRENT',
  'BULKHEAD_MAX_QUEUE',
  'BREAKER_FAILURE_PERCENT',
  'BREAKER_WINDOW',
  'BREAKER_MINIMUM_CALLS',
  'BREAKER_OPEN_MS',
] as const

/** One dependency's URL and policies, `PREFIX_…` variables; defaults differ per dependency only where given. */
function readDependency(
  read: EnvReader,
  prefix: 'PAYMENT' | 'RECOMMENDATION',
  defaults: { timeoutMs: number; retries: number; concurrent: number; queue: number },
) {
  const name = (variable: (typeof DEPENDENCY_VARIABLES)[number]) => `${prefix}_${variable}`
  return {
    /** unset: the app starts the simulator in process. A refused URL is named, not echoed (credentials) */
    url: read.string(name('URL'), '', checkDependencyUrl, { isSecret: true }) || undefined,
    timeoutMs: read.int(name('TIMEOUT_MS'), defaults.timeoutMs, 10, 120_000),
    /** retries after the first attempt, for idempotent calls only */
    retries: read.int(name('RETRIES'), defaults.retries, 0, 10),
    retryDelayMs: { initial: 50, max: 1_000 },
    bulkhead: {
      maxConcurrent: read.int(name('BULKHEAD_MAX_CONCURRENT'), defaults.concurrent, 1, 10_000),
      maxQueue: read.int(name('BULKHEAD_MAX_QUEUE'), defaults.queue, 0, 100_000),
    },
    /** opens when `failureRatio` of the last `window` calls failed, once `minimumCalls` were made */
    breaker: {
      failureRatio: read.int(name('BREAKER_FAILURE_PERCENT'), 50, 1, 99) / 100,
      window: read.int(name('BREAKER_WINDOW'), 20, 2, 10_000),
      minimumCalls: read.int(name('BREAKER_MINIMUM_CALLS'), 10, 1, 10_000),
      openMs: read.int(name('BREAKER_OPEN_MS'), 10_000, 50, 600_000),
    },
  }
}

/** The standard OTEL_* variables this app reads; tracing is on only with an endpoint. */
function readTracing(read: EnvReader) {
  const endpoint = read.string('OTEL_EXPORTER_OTLP_ENDPOINT', '', checkDependencyUrl, { isSecret: true })
  const sampleRatio = read.string('OTEL_TRACES_SAMPLER_ARG', '1', (v) =>
    /^(0(\.\d+)?|1(\.0+)?)$/.test(v) ? undefined : 'a ratio from 0 to 1, e.g. 0.1',
  )
  const serviceName = read.string('OTEL_SERVICE_NAME', 'marketplace', (v) =>
    /^[A-Za-z0-9._-]{1,64}$/.test(v) ? undefined : '1–64 of A-Z a-z 0-9 . _ -',
  )
  const exportDelayMs = read.int('OTEL_BSP_SCHEDULE_DELAY', 5_000, 10, 60_000)
  return endpoint ? { endpoint, serviceName, sampleRatio: Number(sampleRatio), exportDelayMs } : undefined
}

function checkDependencyUrl(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL'
    if (url.username || url.password || url.search || url.hash)
      return 'expected a base URL without credentials, query or fragment'
    return undefined
  } catch {
    return 'expected an http:// or https:// URL'
  }
}

/** `host:port[,host:port…]`; bracketed IPv6 hosts allowed. */
function checkKafkaBrokers(list: string): string | undefined {
  const brokers = list.split(',').map((broker) => broker.trim())
  const isBroker = (broker: string) => {
    const match = broker.match(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/)
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535
  }
  return brokers.every(isBroker) ? undefined : 'expected host:port[,host:port…] (e.g. 127.0.0.1:9092)'
}

function readKafka(read: EnvReader) {
  const brokers = read.string('KAFKA_BROKERS', '', checkKafkaBrokers)
  const settings = {
    brokers: brokers.split(',').map((broker) => broker.trim()),
    clientId: read.string('KAFKA_CLIENT_ID', 'marketplace'),
    /** prepended to every topic and consumer group name (tests give each file its own) */
    topicPrefix: read.string('KAFKA_TOPIC_PREFIX', '', (v) =>
      /^[A-Za-z0-9._-]{1,100}$/.test(v) ? undefined : 'letters, digits, . _ - only (at most 100)',
    ),
    topicPartitions: read.int('KAFKA_TOPIC_PARTITIONS', 3, 1, 1_000),
    /** the deadline of one send (kafkajs's idempotent producer would otherwise retry for ever) */
    sendTimeoutMs: read.int('KAFKA_SEND_TIMEOUT_MS', 5_000, 100, 120_000),
  }
  return brokers ? settings : undefined
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url')
}
