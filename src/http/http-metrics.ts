/**
 * RED metrics: `http_server_requests_seconds{method,uri,status}` fed by request-context.ts (`uri` is the
 * matched route template, or UNMATCHED, so a scanner cannot blow up the label set), and the scrape endpoint
 * `/actuator/prometheus`.
 */
import { Elysia } from 'elysia'
import type { Metrics } from '../platform/observability/metrics'
import { PrometheusMetrics } from './actuator.model'
import type { ResponseObserver } from './request-context'

type Observer = { observe(seconds: number): void }

/** Observes into label children bound once per (method, uri, status) and reused. */
export function httpRequestObserver(metrics: Metrics): ResponseObserver {
  const children = new Map<string, Observer>()
  return (method, uri, status, seconds) => {
    const key = `${method} ${uri} ${status}`
    let child = children.get(key)
    if (!child) {
      child = metrics.httpRequests.labels(method, uri, String(status))
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
