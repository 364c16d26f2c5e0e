/**
 * createDeps builds every client the app uses, by hand and in one place; closeDeps releases them. Tests build
 * the same deps against a temporary database file, so what they exercise is what runs.
 */
import packageJson from '../package.json'
import { type Config, databaseFilePath } from './config'
import type { Lifecycle } from './http/health'
import { type AttemptLimiter, InMemoryAttemptLimiter } from './platform/attempt-limiter'
import { CursorCodec } from './platform/cursor-codec'
import { type DatabaseHandle, openDatabase, openReadReplica, type ReplicaHandle } from './platform/database'
import { JwtCodec } from './platform/jwt'
import { createLogger, type Logger } from './platform/logger'
import { createMetrics, type Metrics } from './platform/metrics'
import { ReadRouter } from './platform/read-routing'
import { InMemoryTokenBlacklist, type TokenBlacklist } from './platform/token-blacklist'

export type Deps = {
  config: Config
  logger: Logger
  metrics: Metrics
  database: DatabaseHandle
  replicas: ReplicaHandle[]
  reads: ReadRouter
  jwt: JwtCodec
  cursors: CursorCodec
  tokenBlacklist: TokenBlacklist
  loginLimiters: { account: AttemptLimiter; ip: AttemptLimiter }
  lifecycle: Lifecycle
  info: {
    name: string
    version: string
    git: { commit: string }
    runtime: { name: string; version: string; platform: string }
  }
}

/** How many failed logins one IP may make per window, relative to one account's allowance. */
const IP_FAILURE_MULTIPLIER = 4

export function createDeps(config: Config, overrides: Partial<Pick<Deps, 'logger'>> = {}): Deps {
  const logger = overrides.logger ?? createLogger(config.logLevel)
  const database = openDatabase(databaseFilePath(config.databaseUrl))
  const replicas = config.databaseReplicaUrls.map((url) => openReadReplica(databaseFilePath(url)))
  const windowMs = config.login.windowSeconds * 1000
  return {
    config,
    logger,
    metrics: createMetrics(),
    database,
    replicas,
    reads: new ReadRouter(
      database.db,
      replicas.map((r) => r.db),
      config.readYourWritesMs,
    ),
    jwt: new JwtCodec(config.jwt),
    cursors: new CursorCodec(config.jwt.secret),
    tokenBlacklist: new InMemoryTokenBlacklist(),
    loginLimiters: {
      account: new InMemoryAttemptLimiter(config.login.maxFailures, windowMs),
      ip: new InMemoryAttemptLimiter(config.login.maxFailures * IP_FAILURE_MULTIPLIER, windowMs),
    },
    lifecycle: { isReady: false, isDraining: false },
    info: {
      name: packageJson.name,
      version: packageJson.version,
      git: { commit: config.gitCommit || gitCommitOfCheckout() },
      runtime: { name: 'bun', version: Bun.version, platform: `${process.platform}-${process.arch}` },
    },
  }
}

export async function closeDeps(deps: Deps): Promise<void> {
  for (const replica of deps.replicas) replica.close()
  deps.database.close()
}

function gitCommitOfCheckout(): string {
  try {
    const result = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { stderr: 'ignore' })
    return result.success ? result.stdout.toString().trim() : 'unknown'
  } catch {
    return 'unknown'
  }
}
