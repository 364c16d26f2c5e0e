/**
 * Structured JSON logs (pino). Secrets never reach a log line: authorization headers, cookies, passwords and
 * tokens are redacted by path, whatever the caller passes.
 */
import pino, { type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'marketplace' },
    timestamp: pino.stdTimeFunctions.isoTime,
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
  })
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
