/**
 * The server (src/main.ts, a real process) on a libSQL server that checks tokens, as Turso does (sqld with
 * --auth-jwt-key-file): the right DATABASE_AUTH_TOKEN starts it; a missing or wrong one stops the start at once
 * with one clear message (exit 1, no retry loop), and the token is never printed.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_JWT_SECRET } from '../support/harness'
import { MAIN_ENTRY } from '../support/paths'
import { waitForOutput } from '../support/process-output'
import { useFreshSqld } from '../support/services'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-sqld-auth-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const secured = useFreshSqld({ isAuthRequired: true })

function startServer(authToken: string | undefined) {
  return Bun.spawn(['bun', MAIN_ENTRY], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: secured.primary.url,
      ...(authToken && { DATABASE_AUTH_TOKEN: authToken }),
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

describe('DATABASE_AUTH_TOKEN against a sqld that checks tokens', () => {
  test.each([
    ['missing', () => undefined],
    ['wrong', () => `${secured.authToken}x`],
  ])(
    'a %s token stops the start with a clear message, without printing the token',
    async (_, token) => {
      const server = startServer(token())
      const started = performance.now()
      expect(await server.exited).toBe(1)
      const message = await new Response(server.stderr).text()
      expect(message).toContain(
        'DATABASE_URL could not be used: the server refused the credentials (HTTP 401)',
      )
      expect(message).toContain('DATABASE_AUTH_TOKEN')
      expect(message).not.toContain(secured.authToken!)
      expect(performance.now() - started).toBeLessThan(10_000) // refused once, not retried
    },
    30_000,
  )

  test('the signed token starts it: migrated, serving, health UP on the remote mode', async () => {
    const server = startServer(secured.authToken)
    try {
      const [, port] = await waitForOutput(
        server.stdout as ReadableStream<Uint8Array>,
        /"port":(\d+)[^\n]*listening/,
      )
      const health = await fetch(`http://127.0.0.1:${port}/actuator/health`)
      expect(health.status).toBe(200)
      const categories = await fetch(`http://127.0.0.1:${port}/api/v1/categories`)
      expect(categories.status).toBe(200)
    } finally {
      server.kill('SIGTERM')
      await server.exited
    }
  }, 30_000)
})
