/**
 * Test harness: every test file gets its own temporary database file (never :memory:, see INFRA.md) and upload
 * folder, the demo data, and the same createApp() that production runs. Requests go through app.handle(), or a
 * real listening server with `listen()`.
 */
import { afterAll, beforeAll, expect } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type App, createApp, maxRequestBodyBytes } from '../../src/app'
import { ConfigError, loadConfig } from '../../src/config'
import { seedDemoData } from '../../src/demo-data'
import { closeDeps, connectDeps, createDeps, type Deps } from '../../src/deps'
import { startEventFlow } from '../../src/event-flow'
import { SERVICE_START_TIMEOUT_MS, useKafka, useRedis } from './services'

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789'

export type TestResponse = { status: number; headers: Headers; body: any; text: string }
export type RequestOptions = {
  token?: string
  body?: unknown
  headers?: Record<string, string>
  rawBody?: RequestInit['body']
}

export type TestApp = {
  app: App
  deps: Deps
  dir: string
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>
  login(email: string, password: string): Promise<string>
  /** Access tokens of the demo users plus a second buyer and a second seller. */
  tokens(): Promise<Record<Persona, string>>
  listen(): { baseUrl: string; stop(): Promise<void> }
  /** Starts the outbox relay and the event consumers, as main.ts does after listen (off unless a test asks). */
  startEventFlow(): Promise<void>
  /**
   * Stops this app (its deps closed, its in-memory state gone) and starts a new one on the same database file,
   * as a process restart would; tokens already issued stay valid (same secret). Use the returned app from then on.
   */
  restart(): Promise<TestApp>
  /** A second app on the same database file and env (same secret, same Redis), as a second process would be. */
  openSecondInstance(): Promise<TestApp>
  close(): Promise<void>
}

export type Persona = 'admin' | 'seller' | 'buyer' | 'otherSeller' | 'otherBuyer'

export const DEMO = {
  admin: { email: 'admin@example.com', password: 'admin123!' },
  seller: { email: 'seller@example.com', password: 'seller123!' },
  buyer: { email: 'buyer@example.com', password: 'buyer123!' },
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  return openTestApp(mkdtempSync(join(tmpdir(), 'marketplace-test-')), env)
}

/** A Redis key prefix of a file's own, so files sharing one Redis never see each other's keys. */
export const redisKeyPrefix = (fileTag: string) => `test:${fileTag}:${crypto.randomUUID().slice(0, 8)}:`

/**
 * The env of a test file that needs the real Redis: REDIS_URL (set, or a Redis this run starts on first use,
 * test/support/services.ts) and a key prefix of its own. Await it in a hook given SERVICE_START_TIMEOUT_MS.
 */
export async function redisTestEnv(
  fileTag: string,
): Promise<{ REDIS_URL: string; REDIS_KEY_PREFIX: string }> {
  return { REDIS_URL: await useRedis(), REDIS_KEY_PREFIX: redisKeyPrefix(fileTag) }
}

/**
 * The env of a test file that needs the real Kafka: KAFKA_BROKERS (set, or a broker this run starts on first use)
 * and a topic (and consumer group) prefix of its own, so files never see each other's events.
 */
export async function kafkaTestEnv(
  fileTag: string,
): Promise<{ KAFKA_BROKERS: string; KAFKA_TOPIC_PREFIX: string }> {
  return {
    KAFKA_BROKERS: await useKafka(),
    KAFKA_TOPIC_PREFIX: `test.${fileTag}.${crypto.randomUUID().slice(0, 8)}.`,
  }
}

/** Closing an app disconnects its clients; a Kafka consumer group takes seconds to leave. */
const CLOSE_TIMEOUT_MS = 30_000

export type TestAppFixture<E extends Record<string, string>> = {
  /** The app: a TestApp in every way, filled in by the beforeAll (so read it in hooks and tests, not at load). */
  t: TestApp
  /** The personas' access tokens, with `{ tokens: true }`. */
  tokens: Record<Persona, string>
  /** The env the app was given (e.g. REDIS_URL and the file's key prefix, for redis-cli). */
  env: E
  /** A real listening server on the app, with `{ listen: true }` (after the event flow, when both are asked). */
  server: { baseUrl: string; stop(): Promise<void> }
  /** A second app on the same database file and env (a second process), with `{ secondInstance: true }`. */
  second: TestApp
}

/**
 * The app of a test file (or of the `describe` it is called in): created by a beforeAll, closed by an afterAll,
 * every part asked for ready before the first test. `env` may be a function, for env that needs a service
 * (`() => redisTestEnv('tag')`): its hook then waits SERVICE_START_TIMEOUT_MS, time for a first start.
 */
export function useTestApp<E extends Record<string, string> = Record<string, string>>(
  env: E | (() => Promise<E>) = {} as E,
  options: { tokens?: boolean; secondInstance?: boolean; startEventFlow?: boolean; listen?: boolean } = {},
): TestAppFixture<E> {
  const fixture = { t: {}, tokens: {}, env: {}, server: {}, second: {} } as TestAppFixture<E>
  beforeAll(
    async () => {
      Object.assign(fixture.env, typeof env === 'function' ? await env() : env)
      Object.assign(fixture.t, await createTestApp(fixture.env))
      if (options.secondInstance) Object.assign(fixture.second, await fixture.t.openSecondInstance())
      if (options.tokens) Object.assign(fixture.tokens, await fixture.t.tokens())
      if (options.startEventFlow) await fixture.t.startEventFlow()
      if (options.listen) Object.assign(fixture.server, fixture.t.listen())
    },
    typeof env === 'function' ? SERVICE_START_TIMEOUT_MS : undefined,
  )
  afterAll(async () => {
    await fixture.server.stop?.()
    await fixture.second.close?.()
    await fixture.t.close?.()
  }, CLOSE_TIMEOUT_MS)
  return fixture
}

/** The app on the database file in `dir`: a fresh one, or the same file again after `restart()`. */
async function openTestApp(
  dir: string,
  env: Record<string, string>,
  signedInTokens?: Record<Persona, string>,
  ownsDir = true,
): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: `file:${join(dir, 'test.db')}`,
    JWT_SECRET: TEST_JWT_SECRET,
    SEED_DEMO_DATA: 'true',
    LOG_LEVEL: 'silent',
    UPLOAD_DIR: join(dir, 'uploads'),
    // Tests send bursts far beyond SPEC §7's limits; only the tests of a limit turn it on.
    RATE_LIMIT_ORDERS_PER_SECOND: '0',
    RATE_LIMIT_IP_PER_SECOND: '0',
    SIGNUP_MAX_PER_IP: '0',
    ...env,
  })
  const deps = await createDeps(config)
  await connectDeps(deps)
  await seedDemoData(deps.database)
  deps.lifecycle.isReady = true
  const app = createApp(deps)
  let cachedTokens: Record<Persona, string> | undefined = signedInTokens

  const request = async (
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: RequestInit['body'] | undefined = options.rawBody
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }))
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed, text }
  }

  const login = async (email: string, password: string) => {
    const res = await request('POST', '/api/v1/auth/login', { body: { email, password } })
    expect(res.status, res.text).toBe(200)
    return res.body.accessToken as string
  }

  return {
    app,
    deps,
    dir,
    request,
    login,
    async tokens() {
      if (cachedTokens) return cachedTokens
      const signup = async (email: string, role: 'BUYER' | 'SELLER') => {
        const res = await request('POST', '/api/v1/auth/signup', {
          body: {
            email,
            password: 'password123',
            name: email,
            role,
            businessNumber: role === 'SELLER' ? '999-99-99999' : undefined,
          },
        })
        expect(res.status, res.text).toBe(201)
        return login(email, 'password123')
      }
      cachedTokens = {
        admin: await login(DEMO.admin.email, DEMO.admin.password),
        seller: await login(DEMO.seller.email, DEMO.seller.password),
        buyer: await login(DEMO.buyer.email, DEMO.buyer.password),
        otherSeller: await signup('other-seller@example.com', 'SELLER'),
        otherBuyer: await signup('other-buyer@example.com', 'BUYER'),
      }
      return cachedTokens
    },
    listen() {
      // app.listen (as main.ts does), not Bun.serve + app.handle: only then does Elysia hand routes the
      // `server`, so the client IP (per-IP limits, login throttling) is what production sees.
      app.listen({ port: 0, hostname: '127.0.0.1', maxRequestBodySize: maxRequestBodyBytes(config) })
      const port = app.server?.port
      return {
        baseUrl: `http://127.0.0.1:${port}`,
        stop: async () => {
          await app.stop(true)
        },
      }
    },
    startEventFlow: () => startEventFlow(deps),
    async restart() {
      await closeDeps(deps)
      return openTestApp(dir, env, cachedTokens, ownsDir)
    },
    openSecondInstance() {
      return openTestApp(dir, env, cachedTokens, false)
    },
    async close() {
      await closeDeps(deps)
      if (ownsDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Asserts an RFC 9457 problem with the given status and code; prints the body on failure. */
export function expectProblem(res: TestResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type'), res.text).toContain('application/problem+json')
  expect(res.body.code, res.text).toBe(code)
  expect(res.body.status).toBe(status)
  expect(typeof res.body.requestId).toBe('string')
  expect(res.text).not.toMatch(/at .+\.ts:\d+|SQLITE|select .* from/i)
}

/** The problems loadConfig names for `env` (it must refuse it). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}
