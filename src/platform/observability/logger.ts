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
