/**
 * DATABASE_URL and its companions select one of three modes (src/platform/db/connections.ts); every bad
 * combination stops the start naming the variable, and a server URL is never echoed (it may hold credentials).
 */
import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../src/config'

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env)
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems.join('\n')
  }
}

describe('database modes', () => {
  test('a file: URL is the embedded default (bun:sqlite)', () => {
    expect(loadConfig({ DATABASE_URL: 'file:/tmp/a.db' }).database).toEqual({
      mode: 'file',
      filePath: '/tmp/a.db',
      replicaUrls: [],
    })
  })

  test.each([
    'libsql://db.example.turso.io',
    'http://127.0.0.1:8080',
    'https://db.example',
    'ws://h:1',
    'wss://h',
  ])('DATABASE_URL=%s is a libSQL server primary, with the token, the deadline and sqld replicas', (url) => {
    const config = loadConfig({
      DATABASE_URL: url,
      DATABASE_AUTH_TOKEN: 'token-value',
      DATABASE_REPLICA_URLS: 'http://127.0.0.1:8081, libsql://replica.example',
    })
    expect(config.database).toEqual({
      mode: 'remote',
      primaryUrl: url,
      authToken: 'token-value',
      timeoutMs: 2_000,
      replicaUrls: ['http://127.0.0.1:8081', 'libsql://replica.example'],
    })
  })

  test('DATABASE_URL=file: with DATABASE_SYNC_URL is an embedded replica of that primary', () => {
    const config = loadConfig({
      DATABASE_URL: 'file:/tmp/replica.db',
      DATABASE_SYNC_URL: 'http://127.0.0.1:8080',
      DATABASE_SYNC_INTERVAL_MS: '250',
      DATABASE_TIMEOUT_MS: '500',
    })
    expect(config.database).toEqual({
      mode: 'embedded-replica',
      filePath: '/tmp/replica.db',
      primaryUrl: 'http://127.0.0.1:8080',
      syncIntervalMs: 250,
      timeoutMs: 500,
      authToken: undefined,
      replicaUrls: [],
    })
  })
})

describe('refused combinations, named and never echoing a server URL', () => {
  test('credentials or options in a server URL are refused: the token belongs in DATABASE_AUTH_TOKEN', () => {
    const problems = problemsOf({ DATABASE_URL: 'libsql://db.example?authToken=s3cret-value' })
    expect(problems).toContain('DATABASE_URL=(redacted): no credentials or options in the URL')
    expect(problems).not.toContain('s3cret')
    expect(problemsOf({ DATABASE_URL: 'http://user:s3cret@db.example' })).not.toContain('s3cret')
  })

  test('DATABASE_SYNC_URL needs a local file to replicate into, and a server to replicate from', () => {
    expect(problemsOf({ DATABASE_URL: 'http://a.example', DATABASE_SYNC_URL: 'http://b.example' })).toContain(
      'DATABASE_SYNC_URL: an embedded replica needs DATABASE_URL=file:<path>',
    )
    expect(problemsOf({ DATABASE_SYNC_URL: 'file:/tmp/x.db' })).toContain('DATABASE_SYNC_URL=')
  })

  test('next to a server primary, replicas are servers too (a position, not the URL, is named)', () => {
    const problems = problemsOf({
      DATABASE_URL: 'http://a.example',
      DATABASE_REPLICA_URLS: 'http://b, file:/x.db',
    })
    expect(problems).toContain('DATABASE_REPLICA_URLS=(redacted): entry 2: expected a libSQL server URL')
  })

  test('DATABASE_TIMEOUT_MS is bounded', () => {
    expect(problemsOf({ DATABASE_URL: 'http://a.example', DATABASE_TIMEOUT_MS: '0' })).toContain(
      'DATABASE_TIMEOUT_MS',
    )
  })
})
