/**
 * RED metrics: `http_server_requests_seconds{method,uri,status,outcome}` fed by request-context.ts (`uri` is the
 * matched route template, or UNMATCHED, so a scanner cannot blow up the label set; `outcome` is the status class
 * named as Micrometer names it, so an error rate is one label match: `outcome="SERVER_ERROR"`), and the scrape
 * endpoint `/actuator/prometheus`.
 */
import { Elysia } from 'elysia'
import type { Metrics } from '../platform/observability/metrics'
import { PrometheusMetrics } from './actuator.model'
import type { ResponseObserver } from './request-context'

type Observer = { observe(seconds: number): void }

export type HttpOutcome =
  | 'INFORMATIONAL'
  | 'SUCCESS'
  | 'REDIRECTION'
  | 'CLIENT_ERROR'
  | 'SERVER_ERROR'
  | 'UNKNOWN'

/** Micrometer's `outcome` tag: the status class by name. */
export function outcomeOf(status: number): HttpOutcome {
  if (status >= 100 && status < 200) return 'INFORMATIONAL'
  if (status >= 200 && status < 300) return 'SUCCESS'
  if (status >= 300 && status < 400) return 'REDIRECTION'
  if (status >= 400 && status < 500) return 'CLIENT_ERROR'
  if (status >= 500 && status < 600) return 'SERVER_ERROR'
  return 'UNKNOWN'
}

/** Observes into label children bound once per (method, uri, status) and reused. */
export function httpRequestObserver(metrics: Metrics): ResponseObserver {
  const children = new Map<string, Observer>()
  return (method, uri, status, seconds) => {
    const key = `${method} ${uri} ${status}`
    let child = children.get(key)
    if (!child) {
      child = metrics.httpRequests.labels(method, uri, String(status), outcomeOf(status))
      children.set(key, child)
    }
    child.observe(seconds)
  }
}

export function prometheusEndpoint(metrics: Metrics) {
  return new Elysia({ name: 'prometheus-endpoint' }).get(
    '/actuator/prometheus',
    async () =>
      new Response(await metrics.registry.metrics(), {
        headers: { 'content-type': metrics.registry.contentType },
      }),
    {
      response: { 200: PrometheusMetrics },
      detail: {
        tags: ['Actuator'],
        summary: 'Prometheus metrics',
        description:
          'The scrape endpoint: HTTP RED metrics, business counters, cache, outbox and breaker state.',
      },
    },
  )
}
