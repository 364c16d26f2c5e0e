/**
 * The access log of a real server process (its stdout): one JSON line per request at info, with what an operator
 * needs and nothing secret; sampling keeps a share of the lines but never drops a 5xx or a slow request. With
 * tracing on, a kept trace's id is `trace_id`, the name pino's lines use too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO } from '../support/harness'
import { type ServerProcess, startServer } from '../support/server-process'

type LogLine = Record<string, unknown>

function requestLines(server: ServerProcess): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"request"'))
    .map((line) => JSON.parse(line) as LogLine)
}

/** The lines reach us through a pipe: wait until they satisfy `isThere` (5 s at most). */
async function untilLines(server: ServerProcess, isThere: (lines: LogLine[]) => boolean): Promise<LogLine[]> {
  const deadline = Date.now() + 5_000
  while (!isThere(requestLines(server)) && Date.now() < deadline) await Bun.sleep(20)
  return requestLines(server)
}

const dirs: string[] = []
function newServer(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'marketplace-access-log-'))
  dirs.push(dir)
  return startServer({ dir, databaseFile: join(dir, 'db.sqlite'), seedDemoData: true, env })
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('every request logged (ACCESS_LOG_SAMPLE_PERCENT=100)', () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await newServer({ ACCESS_LOG_SAMPLE_PERCENT: '100' })
  })
  afterAll(async () => {
    await server.stop()
  })

  test('one line per request: id, method, route template, status, duration, member', async () => {
    const login = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.buyer),
    })
    expect(login.status).toBe(200)
    const { accessToken } = (await login.json()) as { accessToken: string }
    const me = await fetch(`${server.baseUrl}/api/v1/members/me`, {
      headers: { authorization: `Bearer ${accessToken}`, 'x-request-id': 'trace-me-42' },
    })
    expect(me.status).toBe(200)
    const member = (await me.json()) as { id: number }
    expect((await fetch(`${server.baseUrl}/api/v1/products/424242`)).status).toBe(404)

    const lines = await untilLines(server, (found) => found.length >= 3)
    expect(lines).toHaveLength(3)
    const [loginLine, meLine, missingLine] = lines as [LogLine, LogLine, LogLine]
    expect(loginLine).toMatchObject({ level: 30, method: 'POST', route: '/api/v1/auth/login', status: 200 })
    expect(meLine).toMatchObject({
      requestId: 'trace-me-42',
      method: 'GET',
      route: '/api/v1/members/me',
      status: 200,
      memberId: member.id,
    })
    expect(meLine.client).toBeUndefined() // no address in the access log
    expect(typeof meLine.durationMs).toBe('number')
    expect(missingLine).toMatchObject({ route: '/api/v1/products/:id', status: 404 })
    expect(missingLine.memberId).toBeUndefined()
    for (const line of lines) expect(line.trace_id).toBeUndefined() // tracing is off here

    const output = server.output()
    for (const secret of [accessToken, DEMO.buyer.password, '127.0.0.1"', '424242']) {
      expect(output).not.toContain(secret)
    }
  })
})

describe('sampling (ACCESS_LOG_SAMPLE_PERCENT=0)', () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await newServer({ ACCESS_LOG_SAMPLE_PERCENT: '0', ACCESS_LOG_SLOW_MS: '1' })
  })
  afterAll(async () => {
    await server.stop()
  })

  test('no line for a fast request; a slow one is written anyway', async () => {
    // the first request to a route builds it (well over 1 ms); the slow one is a login (argon2id)
    for (let i = 0; i < 20; i++) await fetch(`${server.baseUrl}/actuator/health/liveness`)
    const login = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.buyer),
    })
    expect(login.status).toBe(200)
    const lines = await untilLines(server, (found) =>
      found.some((line) => line.route === '/api/v1/auth/login'),
    )
    const logins = lines.filter((line) => line.route === '/api/v1/auth/login')
    expect(logins).toHaveLength(1)
    expect(Number(logins[0]!.durationMs)).toBeGreaterThanOrEqual(1)
    // every line written was slow: nothing fast got through the 0 % sample, and fast ones were left out
    for (const line of lines) expect(Number(line.durationMs)).toBeGreaterThanOrEqual(1)
    expect(lines.filter((line) => line.route === '/actuator/health/liveness').length).toBeLessThan(20)
  })
})

describe('the trace id (tracing on, OTEL_TRACES_SAMPLER_ARG=1)', () => {
  let server: ServerProcess
  // a collector that takes the spans and drops them: only the log lines are looked at here
  const collector = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response(new Uint8Array()) })
  beforeAll(async () => {
    server = await newServer({
      ACCESS_LOG_SAMPLE_PERCENT: '100',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
    })
  })
  afterAll(async () => {
    await server.stop()
    await collector.stop(true)
  })

  test('a kept trace is `trace_id` in its access line; a trace the caller did not keep is not logged', async () => {
    const sampled = '4bf92f3577b34da6a3ce929d0e0e4736'
    const unsampled = '0af7651916cd43dd8448eb211c80319c'
    const get = (traceId: string, flags: string) =>
      fetch(`${server.baseUrl}/api/v1/products/1`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-${flags}` },
      })
    expect((await get(sampled, '01')).status).toBe(200)
    expect((await get(unsampled, '00')).status).toBe(200)

    const lines = await untilLines(server, (found) => found.length >= 2)
    expect(lines).toHaveLength(2)
    const [keptLine, droppedLine] = lines as [LogLine, LogLine]
    expect(keptLine.trace_id).toBe(sampled)
    expect(keptLine.traceId).toBeUndefined() // one name for the field, as pino's lines have it
    expect(droppedLine.trace_id).toBeUndefined() // never exported, so never logged
  })
})
