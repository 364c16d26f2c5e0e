/**
 * Per-request bookkeeping in one pair of hooks (each global hook costs every request a few µs, measured by
 * `bun run bench`): the request id, the start time, and after the response the RED metrics and the access
 * log. The id is echoed from `X-Request-Id` when it is a safe token (so log lines cannot be forged through it),
 * otherwise generated as a per-process random prefix plus a counter (cheaper than a UUID, unique
 * per process). It is kept on the request's `set` object, which every hook receives, so the error handler can
 * put it in problem bodies even for errors raised before routing (parse, 404, 413). (A WeakMap keyed by request
 * cost ≈ 15 % of the product detail's throughput under load: weak tables are scanned at every GC.)
 *
 * Hooks here destructure exactly what they read: Elysia infers from each hook's source which parts of the
 * context to build, and a hook that takes the whole context makes every request parse cookies, query and all.
 * The after-response hook reads only `set` and `route` (the status is in `set.status`, which the error handler
 * keeps true): reading `request` or `responseValue` there measurably slows every request.
 */
import { Elysia } from 'elysia'
import type { AccessLogger } from '../platform/observability/logger'
import { currentTraceId, isTracing } from '../platform/observability/tracing'
import { principalOf } from './auth'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const PROCESS_PREFIX = Buffer.from(crypto.getRandomValues(new Uint8Array(5))).toString('hex')
let requestCounter = 0

type Tracked = {
  requestId: string
  method: string
  startedAt: number
  /**
   * the request's trace when tracing is on and it is kept (the server span is active in onRequest,
   * src/http/tracing.ts; it is no longer active after the response, hence kept here)
   */
  traceId?: string
}
const TRACKED = Symbol('request-context')
/** The per-request `set` object of Elysia's context, carrying our bookkeeping */
type RequestState = { [TRACKED]?: Tracked }

function assignRequestId(request: Request): string {
  const incoming = request.headers.get('x-request-id')
  if (incoming && SAFE_REQUEST_ID.test(incoming)) return incoming
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER
  return `${PROCESS_PREFIX}-${requestCounter.toString(36)}`
}

function track(set: RequestState, request: Request): Tracked {
  set[TRACKED] ??= {
    requestId: assignRequestId(request),
    method: request.method,
    startedAt: performance.now(),
  }
  return set[TRACKED]
}

/** The id of a request (assigned on arrival), from any hook's `set` and `request`. */
export function requestIdOf(set: object, request: Request): string {
  return track(set as RequestState, request).requestId
}

export type ResponseObserver = (method: string, route: string, status: number, seconds: number) => void

/**
 * The access log (SPEC §10, issue #14): one JSON line per request at `info`, with the request id, method, route
 * template, status, duration, the member when a token was checked and `trace_id` when tracing keeps the request's
 * trace (never a token, a body or an address). Under heavy load, `samplePercent` keeps that share of the other
 * lines, drawn after the response only for a line that would otherwise be left out; server errors and requests
 * slower than `slowMs` are always written. LOG_LEVEL=warn turns it off. The lines are written by the access
 * logger (platform/observability/logger.ts), buffered.
 */
export type AccessLogSettings = { samplePercent: number; slowMs: number }

export function requestContext(
  accessLog: AccessLogger,
  observeResponse: ResponseObserver,
  settings: AccessLogSettings,
) {
  const isLogging = accessLog.isEnabled
  const isSampling = settings.samplePercent < 100
  const sampleRatio = settings.samplePercent / 100
  // fixed before the app is built (createDeps starts tracing, createApp follows), so asked once here
  const isTraced = isTracing()
  return new Elysia({ name: 'request-context' })
    .onRequest(({ request, set }) => {
      const entry = track(set as RequestState, request)
      set.headers['x-request-id'] = entry.requestId
      if (isTraced) entry.traceId = currentTraceId()
    })
    .onAfterResponse({ as: 'global' }, ({ route, set }) => {
      const entry = (set as RequestState)[TRACKED]
      if (!entry) return
      const status = typeof set.status === 'number' ? set.status : 200
      const uri = route && route !== '*' ? route : 'UNMATCHED'
      const milliseconds = performance.now() - entry.startedAt
      observeResponse(entry.method, uri, status, milliseconds / 1000)
      if (!isLogging) return
      const isOrdinary = status < 500 && milliseconds < settings.slowMs
      // the same odds as a draw on arrival, without one per request for lines that are written anyway
      if (isOrdinary && isSampling && Math.random() >= sampleRatio) return
      accessLog.write({
        requestId: entry.requestId,
        method: entry.method,
        route: uri,
        status,
        durationMs: Math.round(milliseconds * 100) / 100,
        memberId: principalOf(set)?.memberId,
        trace_id: entry.traceId,
      })
    })
}
