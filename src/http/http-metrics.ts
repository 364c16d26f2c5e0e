/**
 * RED metrics for every request (`http_server_requests_seconds{method,uri,status}`) and the scrape endpoint
 * `/actuator/prometheus`. `uri` is the matched route template, or UNMATCHED for unknown paths, so a scanner
 * cannot blow up the label set.
 */
import { Elysia, t } from 'elysia'
import type { Metrics } from '../platform/metrics'

type Observer = { observe(seconds: number): void }

export function httpMetrics(metrics: Metrics) {
  const started = new WeakMap<Request, number>()
  const children = new Map<string, Observer>()
  const observerFor = (method: string, uri: string, status: number): Observer => {
    const key = `${method} ${uri} ${status}`
    let child = children.get(key)
    if (!child) {
      child = metrics.httpRequests.labels(method, uri, String(status))
      children.set(key, child)
    }
    return child
  }

  return new Elysia({ name: 'http-metrics' })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const start = started.get(request)
      if (start === undefined) return
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200)
      const uri = route && route !== '*' ? route : 'UNMATCHED'
      observerFor(request.method, uri, status).observe((performance.now() - start) / 1000)
    })
    .get(
      '/actuator/prometheus',
      async () =>
        new Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
      {
        response: { 200: t.String({ description: 'Prometheus text exposition format' }) },
        detail: { tags: ['Actuator'], summary: 'Prometheus metrics' },
      },
    )
}
