import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_JWT_SECRET } from '../support/harness'
import { MAIN_ENTRY } from '../support/paths'
import { waitForOutput } from '../support/process-output'

// The real entry point (src/main.ts) as a child process: start, serve, and stop on a signal.
const dir = mkdtempSync(join(tmpdir(), 'marketplace-lifecycle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function startServer(env: Record<string, string>) {
  return Bun.spawn(['bun', MAIN_ENTRY], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

describe('src/main.ts', () => {
  test('a bad configuration stops the start with one message naming every bad variable', async () => {
    const server = startServer({ PORT: 'eighty', LOG_LEVEL: 'loud', JWT_SECRET: 'short-secret-value' })
    expect(await server.exited).toBe(1)
    const message = await new Response(server.stderr).text()
    expect(message).toContain('PORT=')
    expect(message).toContain('LOG_LEVEL=')
    expect(message).toContain('JWT_SECRET=(redacted)')
    expect(message).not.toContain('short-secret-value')
  })

  test('SIGTERM drains: readiness goes DOWN, an in-flight request is answered, then the process exits 0', async () => {
    const server = startServer({
      DATABASE_URL: `file:${join(dir, 'lifecycle.db')}`,
      JWT_SECRET: TEST_JWT_SECRET,
      SEED_DEMO_DATA: 'true',
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
    })
    const [, port] = await waitForOutput(
      server.stdout as ReadableStream<Uint8Array>,
      /"port":(\d+)[^\n]*listening/,
    )
    const base = `http://127.0.0.1:${port}`
    expect((await fetch(`${base}/actuator/health/readiness`)).status).toBe(200)

    // A login whose body is still arriving when the signal comes: the request is in flight.
    let sendRest: () => void = () => {}
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"email":"buyer@example.com",'))
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode('"password":"buyer123!"}'))
          controller.close()
        }
      },
    })
    const inFlight = fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    })
    await Bun.sleep(100)
    server.kill('SIGTERM')
    await Bun.sleep(100)

    const readiness = await fetch(`${base}/actuator/health/readiness`)
    expect(readiness.status).toBe(503)
    expect(await readiness.json()).toEqual({ status: 'DOWN' })
    sendRest()
    const answered = await inFlight
    expect(answered.status, await answered.clone().text()).toBe(200)
    expect(((await answered.json()) as { tokenType: string }).tokenType).toBe('Bearer')
    expect(await server.exited).toBe(0)
  })
})
