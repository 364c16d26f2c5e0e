/**
 * Structured JSON logs (pino). Secrets never reach a log line: authorization headers, cookies, passwords and
 * tokens are redacted by path, whatever the caller passes. With tracing on, every line carries `trace_id` and
 * `span_id` of the span it was written in.
 */
import pino, { type Logger } from 'pino'
import { traceIdsForLog } from './tracing'

export type { Logger }

/** `destination`: where lines go (stdout by default; tests pass a stream to read them). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'marketplace' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // the active trace's ids on every line, when tracing is on (an empty object otherwise)
    mixin: traceIdsForLog,
    redact: {
      paths: [
        'password',
        '*.password',
        'accessToken',
        'refreshToken',
        '*.accessToken',
        '*.refreshToken',
        'headers.authorization',
        'headers.cookie',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  }
  return destination ? pino(options, destination) : pino(options)
}

/** How long an access-log line may wait in the buffer before it is written (at low traffic). */
const ACCESS_LOG_FLUSH_MS = 500
const ACCESS_LOG_BUFFER_BYTES = 8 * 1024
const INFO = 30
/** The usual methods as JSON strings, so the per-line escape is a lookup; any other is escaped when written. */
const METHOD_JSON: Record<string, string> = Object.fromEntries(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => [method, `"${method}"`]),
)

/** One access-log line's fields (src/http/request-context.ts). */
export type AccessLine = {
  requestId: string
  method: string
  route: string
  status: number
  durationMs: number
  memberId: number | undefined
  /** named as pino's mixin names it on every other line (traceIdsForLog), so one query finds both */
  trace_id: string | undefined
}

export type AccessLogger = {
  /** false below `info` (LOG_LEVEL=warn and up): nothing is written */
  isEnabled: boolean
  write(line: AccessLine): void
  flush(): void
  close(): void
}

/**
 * The access log's writer: one line per request is the one log written at request rate, and pino's per-line cost
 * (its serializer, the redaction walk over every wildcard path, a synchronous write) halved a small route's
 * throughput (`bun run bench`, the middleware group). Lines are pino's format (`level`, `time`, `service`, the
 * fields, `msg: "request"`), built here from fields that cannot hold a quote or a backslash except the method,
 * which is JSON-escaped, and go to stdout through Bun's buffered writer (a FileSink: written once 8 KiB are there
 * or every 500 ms, and at exit). Every other log line stays pino's, synchronous: a crash loses at most the
 * last 500 ms of access lines, never a warning or an error.
 */
export function createAccessLogger(level: string): AccessLogger {
  const isEnabled = level !== 'silent' && pino.levels.values[level]! <= INFO
  const sink = Bun.stdout.writer({ highWaterMark: ACCESS_LOG_BUFFER_BYTES })
  const flushNow = () => {
    try {
      void sink.flush()
    } catch {} // stdout already closed
  }
  // the ISO time of the current millisecond, built once per millisecond (many lines share one under load)
  let lastMs = 0
  let lastIso = ''
  const isoNow = () => {
    const now = Date.now()
    if (now !== lastMs) {
      lastMs = now
      lastIso = new Date(now).toISOString()
    }
    return lastIso
  }
  const timer = isEnabled ? setInterval(flushNow, ACCESS_LOG_FLUSH_MS) : undefined
  timer?.unref()
  if (isEnabled) process.once('exit', flushNow)
  return {
    isEnabled,
    write(line) {
      sink.write(
        `{"level":${INFO},"time":"${isoNow()}","service":"marketplace",` +
          `"requestId":"${line.requestId}","method":${METHOD_JSON[line.method] ?? JSON.stringify(line.method)},` +
          `"route":"${line.route}",` +
          `"status":${line.status},"durationMs":${line.durationMs}` +
          (line.memberId === undefined ? '' : `,"memberId":${line.memberId}`) +
          (line.trace_id === undefined ? '' : `,"trace_id":"${line.trace_id}"`) +
          ',"msg":"request"}\n',
      )
    },
    flush: flushNow,
    close() {
      clearInterval(timer)
      process.off('exit', flushNow)
      flushNow()
    },
  }
}

const FAILURE_LOG_INTERVAL_MS = 10_000

/**
 * A logger for one recurring failure: logs the first at `warn`, then at most once per interval with how many were
 * left out meanwhile.
 */
export function createFailureLog(logger: Logger, message: string): (error: unknown) => void {
  let lastLoggedAt = Number.NEGATIVE_INFINITY
  let suppressed = 0
  return (error) => {
    const now = Date.now()
    if (now - lastLoggedAt < FAILURE_LOG_INTERVAL_MS) {
      suppressed += 1
      return
    }
    logger.warn({ err: error instanceof Error ? error.message : String(error), suppressed }, message)
    lastLoggedAt = now
    suppressed = 0
  }
}
