/**
 * One JSON request to a remote dependency, for a Dependency's work function (dependency.ts): resolves with the
 * answer for any status below 500 (the dependency answered on purpose, even a 404 or a 409); a 5xx, a network
 * error or a body that is not JSON throws, which the dependency's breaker counts as a failure.
 */
import { currentTraceparent } from '../observability/tracing'

export type JsonAnswer = { status: number; body: unknown }

export class DependencyAnswerError extends Error {}

const MAX_ANSWER_BYTES = 1024 * 1024

export async function requestJson(
  url: string,
  request: { method: 'GET' | 'POST' | 'PUT'; body?: unknown },
  signal: AbortSignal,
): Promise<JsonAnswer> {
  const headers: Record<string, string> = {}
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  // the trace goes on to the dependency (W3C traceContext), when tracing is on
  const traceparent = currentTraceparent()
  if (traceparent) headers.traceparent = traceparent
  const response = await fetch(url, {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal,
  })
  const text = await response.text()
  if (response.status >= 500) throw new DependencyAnswerError(`${request.method} ${url}: ${response.status}`)
  if (text.length > MAX_ANSWER_BYTES)
    throw new DependencyAnswerError(`${request.method} ${url}: answer too large`)
  try {
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  } catch {
    throw new DependencyAnswerError(
      `${request.method} ${url}: ${response.status} with a body that is not JSON`,
    )
  }
}
