/**
 * Unit tests of the small hand-written platform pieces: clocks are injected, never mocked globally.
 */
import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config'
import { InMemoryAttemptLimiter } from '../../src/platform/limits/attempt-limiter'
import { CursorCodec } from '../../src/platform/paging/cursor-codec'
import { configProblems } from '../support/harness'

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

describe('InMemoryAttemptLimiter', () => {
  test('a key is blocked once it reaches maxFailures within the window, and not before', async () => {
    const clock = fakeClock()
    const limiter = new InMemoryAttemptLimiter(3, 60_000, 100, clock.now)

    await limiter.recordFailure('k')
    await limiter.recordFailure('k')
    const afterTwo = await limiter.isBlocked('k')
    await limiter.recordFailure('k')

    expect(afterTwo).toBe(false)
    expect(await limiter.isBlocked('k')).toBe(true)
    expect(await limiter.isBlocked('other')).toBe(false)
  })

  test('retryAfterSeconds counts down to the end of the window, at least 1 while blocked, 0 for unknown keys', async () => {
    const clock = fakeClock()
    const limiter = new InMemoryAttemptLimiter(1, 60_000, 100, clock.now)
    await limiter.recordFailure('k')

    const atStart = await limiter.retryAfterSeconds('k')
    clock.advance(59_500)
    const nearEnd = await limiter.retryAfterSeconds('k')

    expect(atStart).toBe(60)
    expect(nearEnd).toBe(1)
    expect(await limiter.retryAfterSeconds('unknown')).toBe(0)
  })

  test('the window is fixed: once it ends the key is unblocked and counting starts over', async () => {
    const clock = fakeClock()
    const limiter = new InMemoryAttemptLimiter(2, 1_000, 100, clock.now)
    await limiter.recordFailure('k')
    await limiter.recordFailure('k')
    expect(await limiter.isBlocked('k')).toBe(true)

    clock.advance(1_000)
    const afterWindow = await limiter.isBlocked('k')
    await limiter.recordFailure('k')

    expect(afterWindow).toBe(false)
    expect(await limiter.isBlocked('k')).toBe(false)
  })

  test('reset forgets the failures of one key only', async () => {
    const limiter = new InMemoryAttemptLimiter(1, 60_000)
    await limiter.recordFailure('a')
    await limiter.recordFailure('b')

    await limiter.reset('a')

    expect(await limiter.isBlocked('a')).toBe(false)
    expect(await limiter.isBlocked('b')).toBe(true)
  })

  test('the table is bounded: a new key beyond maxKeys evicts the oldest window', async () => {
    const limiter = new InMemoryAttemptLimiter(1, 60_000, 3)
    for (const key of ['a', 'b', 'c']) await limiter.recordFailure(key)

    await limiter.recordFailure('d')

    expect(await limiter.isBlocked('a')).toBe(false)
    for (const key of ['b', 'c', 'd']) expect(await limiter.isBlocked(key)).toBe(true)
  })

  test('repeated failures of a key already in the table never evict anyone', async () => {
    const limiter = new InMemoryAttemptLimiter(5, 60_000, 2)
    await limiter.recordFailure('a')
    await limiter.recordFailure('b')

    for (let i = 0; i < 10; i++) await limiter.recordFailure('b')

    expect(await limiter.retryAfterSeconds('a')).toBeGreaterThan(0)
  })
})

describe('CursorCodec', () => {
  const codec = new CursorCodec('cursor-secret-that-is-long-enough-0123456789')
  const filters = { keyword: 'laptop', categoryId: 1, status: 'ON_SALE' }
  const position = { createdAtMs: 1_764_000_000_123, id: 42 }

  test('round-trips a position as an opaque base64url string', () => {
    const cursor = codec.encode(position, filters)

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(cursor).not.toContain('42')
    expect(codec.decode(cursor, filters)).toEqual(position)
  })

  test('round-trips the largest safe id and a zero timestamp', () => {
    const extreme = { createdAtMs: 0, id: Number.MAX_SAFE_INTEGER }

    expect(codec.decode(codec.encode(extreme, {}), {})).toEqual(extreme)
  })

  test('the filter fingerprint ignores key order but not values', () => {
    const cursor = codec.encode(position, filters)

    expect(codec.decode(cursor, { status: 'ON_SALE', categoryId: 1, keyword: 'laptop' })).toEqual(position)
    expect(codec.decode(cursor, { ...filters, categoryId: 2 })).toBeUndefined()
    expect(codec.decode(cursor, { ...filters, minPrice: 0 })).toBeUndefined()
    expect(codec.decode(cursor, {})).toBeUndefined()
  })

  test('any single flipped byte is rejected', () => {
    const bytes = Buffer.from(codec.encode(position, filters), 'base64url')

    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes)
      tampered[i] = tampered[i]! ^ 0x01
      expect(codec.decode(tampered.toString('base64url'), filters), `byte ${i}`).toBeUndefined()
    }
  })

  test('a changed id with a recomputed-looking length is rejected (the MAC covers the position)', () => {
    const bytes = Buffer.from(codec.encode(position, filters), 'base64url')
    bytes.writeBigInt64BE(1n, 9)

    expect(codec.decode(bytes.toString('base64url'), filters)).toBeUndefined()
  })

  test.each([
    ['truncated', (c: string) => c.slice(0, -4)],
    ['extended', (c: string) => `${c}AAAA`],
    ['with padding', (c: string) => `${c}=`],
    ['empty', () => ''],
    ['not base64url', () => '!!!not-a-cursor!!!'],
  ])('a %s cursor is rejected', (_label, mangle) => {
    expect(codec.decode(mangle(codec.encode(position, filters)), filters)).toBeUndefined()
  })

  test('a cursor issued under another secret is rejected', () => {
    const foreign = new CursorCodec('another-secret-that-is-long-enough-987654321')

    expect(codec.decode(foreign.encode(position, filters), filters)).toBeUndefined()
  })
})

describe('loadConfig', () => {
  test('no variables at all gives the embedded defaults with a generated secret', () => {
    const config = loadConfig({})

    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      database: { mode: 'file', filePath: './data/marketplace.db', replicaUrls: [] },
      isEmbedded: true,
      seedDemoData: true,
      logLevel: 'info',
      http: { bodyLimitBytes: 1024 * 1024, imageMaxBytes: 10 * 1024 * 1024, maxImagesPerProduct: 5 },
      login: { maxFailures: 5, ipMaxFailures: 20, accountMaxFailures: 100, windowSeconds: 300 },
    })
    expect(config.jwt).toMatchObject({
      accessTtlSeconds: 900,
      refreshTtlSeconds: 604_800,
      isSecretConfigured: false,
    })
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32)
    expect(loadConfig({}).jwt.secret).not.toBe(config.jwt.secret)
  })

  test('a configured database turns the embedded default off, and with it default seeding', () => {
    const config = loadConfig({ DATABASE_URL: 'file:/tmp/x.db', JWT_SECRET: 's'.repeat(32) })

    expect(config.isEmbedded).toBe(false)
    expect(config.seedDemoData).toBe(false)
    expect(config.jwt.isSecretConfigured).toBe(true)
  })

  test('valid values are parsed into their types', () => {
    const config = loadConfig({
      PORT: '9090',
      SEED_DEMO_DATA: 'FALSE',
      LOG_LEVEL: 'debug',
      JWT_ACCESS_TTL_SECONDS: '60',
    })

    expect(config).toMatchObject({ port: 9090, seedDemoData: false, logLevel: 'debug' })
    expect(config.jwt.accessTtlSeconds).toBe(60)
  })

  test('several bad variables at once give one ConfigError naming every one of them', () => {
    const problems = configProblems({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      SEED_DEMO_DATA: 'maybe',
      JWT_ACCESS_TTL_SECONDS: '5',
      HTTP_BODY_LIMIT_BYTES: '1.5',
      JWT_SECRET: 'short',
    })

    const named = problems.map((p) => p.split('=')[0]).sort()
    expect(named).toEqual(
      [
        'HTTP_BODY_LIMIT_BYTES',
        'JWT_ACCESS_TTL_SECONDS',
        'JWT_SECRET',
        'LOG_LEVEL',
        'PORT',
        'SEED_DEMO_DATA',
      ].sort(),
    )
  })

  test('the ConfigError message lists every problem on its own line', () => {
    let message = ''
    try {
      loadConfig({ PORT: '70000', LOG_LEVEL: 'loud' })
    } catch (error) {
      message = (error as Error).message
    }

    expect(message).toContain('PORT="70000"')
    expect(message).toContain('LOG_LEVEL="loud"')
    expect(message.split('\n').length).toBe(3)
  })

  test.each(['postgres://localhost/marketplace', 'file::memory:', 'file:', './data/marketplace.db'])(
    'DATABASE_URL=%s is rejected (a file path or a libSQL server)',
    (url) => {
      expect(configProblems({ DATABASE_URL: url }).join('\n')).toContain('DATABASE_URL')
    },
  )

  test('a JWT_SECRET of 31 characters is rejected and 32 is accepted', () => {
    expect(configProblems({ JWT_SECRET: 's'.repeat(31) }).join('\n')).toContain('JWT_SECRET')
    expect(loadConfig({ JWT_SECRET: 's'.repeat(32) }).jwt.secret).toBe('s'.repeat(32))
  })

  test('MANAGEMENT_TOKEN is optional; one under 32 characters stops the start, named but never echoed', () => {
    expect(loadConfig({}).managementToken).toBeUndefined()
    expect(loadConfig({ MANAGEMENT_TOKEN: 'm'.repeat(32) }).managementToken).toBe('m'.repeat(32))
    const problems = configProblems({ MANAGEMENT_TOKEN: 'too-short-secret' }).join('\n')
    expect(problems).toContain('MANAGEMENT_TOKEN')
    expect(problems).not.toContain('too-short-secret')
  })

  test('a rejected JWT_SECRET is never echoed into the error message', () => {
    const problems = configProblems({ JWT_SECRET: 'hunter2-secret' })

    expect(problems.join('\n')).not.toContain('hunter2-secret')
  })
})
