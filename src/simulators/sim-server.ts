/**
 * The HTTP server of a simulated dependency: its routes, the fault injection of faults.ts in front of them, and a
 * control API (`/__control/...`) that is never faulted, so a broken simulator can always be healed.
 *
 * Built on node:http rather than Elysia on purpose: faults need the socket itself (a reset is a destroyed
 * connection, not a status code; a slow body is a response written in pieces), which Bun.serve does not expose.
 *
 * Control API (JSON):
 * - `GET /__control/faults`, `PUT /__control/faults` `{ mode?, failureRate?, latencyMs? }` → the settings now;
 * - `GET /__control/stats` → requests by fate, in flight now, the most ever in flight (a bulkhead's proof), and the
 *   simulator's own counters (e.g. the gateway's captures); `POST /__control/stats/reset` zeroes them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Fate, type Faults, fateOf, HEALTHY, nextFaults } from './faults'

export type SimRequest = { method: string; path: string; query: URLSearchParams; body: unknown }
export type SimAnswer = { status: number; body: unknown }
export type SimRoutes = (request: SimRequest) => SimAnswer | Promise<SimAnswer>

export type SimulatorOptions = {
  name: string
  routes: SimRoutes
  /** the simulator's own counters, shown in stats (e.g. captures, refunds) */
  counters?: () => Record<string, number>
  /**
   * `reset` after the route ran instead of before (the payment gateway: the charge happens, its answer is lost,
   * the worst case for a payment client)
   */
  isResetAfterWork?: (request: SimRequest) => boolean
}

export type Simulator = {
  url: string
  faults(): Faults
  setFaults(body: unknown): Faults | string
  stats(): SimStats
  close(): Promise<void>
}

export type SimStats = {
  requests: number
  byFate: Record<Fate, number>
  inFlight: number
  maxInFlight: number
  counters: Record<string, number>
}

const MAX_BODY_BYTES = 64 * 1024
const SLOW_BODY_MS = 2_000
const TIMEOUT_HOLD_MS = 120_000

export async function startSimulator(
  options: SimulatorOptions,
  port = 0,
  hostname = '127.0.0.1',
): Promise<Simulator> {
  let faults: Faults = HEALTHY
  const emptyFates = (): Record<Fate, number> => ({
    ok: 0,
    error: 0,
    timeout: 0,
    reset: 0,
    slow: 0,
    outage: 0,
  })
  let stats = { requests: 0, byFate: emptyFates(), inFlight: 0, maxInFlight: 0 }
  const sockets = new Set<import('node:net').Socket>()

  const statsNow = (): SimStats => ({
    ...stats,
    byFate: { ...stats.byFate },
    counters: options.counters?.() ?? {},
  })

  const control = (method: string, path: string, body: unknown): SimAnswer | undefined => {
    if (path === '/__control/faults' && method === 'GET') return { status: 200, body: faults }
    if (path === '/__control/faults' && method === 'PUT') {
      const next = nextFaults(faults, body)
      if (typeof next === 'string') return { status: 400, body: { error: next } }
      faults = next
      return { status: 200, body: faults }
    }
    if (path === '/__control/stats' && method === 'GET') return { status: 200, body: statsNow() }
    if (path === '/__control/stats/reset' && method === 'POST') {
      stats = { requests: 0, byFate: emptyFates(), inFlight: stats.inFlight, maxInFlight: stats.inFlight }
      return { status: 200, body: statsNow() }
    }
    if (path.startsWith('/__control/')) return { status: 404, body: { error: 'no such control route' } }
    return undefined
  }

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://simulator')
    const method = req.method ?? 'GET'
    const read = await readJson(req)
    if (!read.ok) return send(res, { status: 400, body: { error: read.error } })
    const request: SimRequest = { method, path: url.pathname, query: url.searchParams, body: read.value }
    const controlled = control(method, url.pathname, read.value)
    if (controlled) return send(res, controlled)

    stats.requests++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    res.on('close', () => stats.inFlight--)
    const current = faults
    const fate = fateOf(current)
    stats.byFate[fate]++
    if (current.latencyMs > 0) await Bun.sleep(current.latencyMs)
    if (fate === 'outage') return res.socket?.destroy()
    if (fate === 'timeout') return holdUntilClosed(res)
    if (fate === 'error')
      return send(res, { status: 503, body: { error: `${options.name} is failing (injected)` } })
    const isAfter = fate === 'reset' && (options.isResetAfterWork?.(request) ?? false)
    if (fate === 'reset' && !isAfter) return res.socket?.destroy()
    const answer = await answerOf(options.routes, request)
    if (fate === 'reset') return res.socket?.destroy()
    if (fate === 'slow') return sendSlowly(res, answer, Math.max(current.latencyMs, SLOW_BODY_MS))
    send(res, answer)
  }

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((error) => send(res, { status: 500, body: { error: String(error) } }))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve))
  const address = server.address() as AddressInfo

  return {
    url: `http://${hostname}:${address.port}`,
    faults: () => faults,
    setFaults(body) {
      const next = nextFaults(faults, body)
      if (typeof next !== 'string') faults = next
      return next
    },
    stats: statsNow,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

async function answerOf(routes: SimRoutes, request: SimRequest): Promise<SimAnswer> {
  try {
    return await routes(request)
  } catch (error) {
    return { status: 500, body: { error: error instanceof Error ? error.message : String(error) } }
  }
}

async function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) return { ok: false, error: 'body too large' }
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) }
  } catch {
    return { ok: false, error: 'body is not JSON' }
  }
}

function send(res: ServerResponse, answer: SimAnswer): void {
  if (res.headersSent || res.destroyed) return
  const body = JSON.stringify(answer.body ?? null)
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

function holdUntilClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.socket?.destroy()
      resolve()
    }, TIMEOUT_HOLD_MS)
    res.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Headers now, the body in ten pieces over `totalMs`. */
async function sendSlowly(res: ServerResponse, answer: SimAnswer, totalMs: number): Promise<void> {
  const body = Buffer.from(JSON.stringify(answer.body ?? null))
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': body.length })
  const pieces = 10
  const size = Math.ceil(body.length / pieces)
  for (let i = 0; i < pieces && !res.destroyed; i++) {
    await Bun.sleep(totalMs / pieces)
    res.write(body.subarray(i * size, (i + 1) * size))
  }
  res.end()
}
