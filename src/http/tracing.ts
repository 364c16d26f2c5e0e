/**
 * The server span of each request (OpenTelemetry, when tracing is on; nothing at all otherwise). Elysia has no
 * hook around the whole request, so the span is opened by a wrapper around the app's fetch (`wrap`, the hook
 * Elysia's own OpenTelemetry plugin uses): it continues an incoming `traceparent`, makes the span active for
 * everything the request awaits (AsyncLocalStorage), and ends it with the response's status. The route template
 * is only known once Elysia has matched the route; the span is then named `METHOD /route/:template` by the first
 * parse hook (registered before authBeforeBody and the body parser, so a request refused while its body is
 * checked — 401, 413, 415, 400 — is named too) and, for a request without a body (GET: no parse hooks run), by a
 * transform hook, before validation. An unmatched request keeps its method as its name.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { Elysia } from 'elysia'
import { endFailed, isTracing, tracer } from '../platform/observability/tracing'
import { pathOf } from './url-path'

const headerGetter = {
  keys: (headers: Headers) => [...headers.keys()],
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
}

type Fetch = (request: Request) => Response | Promise<Response>

/** Each request in its server span (the wrapper `wrap` installs around the app's fetch). */
function tracedFetch(handle: Fetch): Fetch {
  return (request) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter)
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent)
    // set after the sampler's decision: the spans of traces not kept (most of them) skip building and
    // cleaning the attributes (the sampler here decides by trace id, never by attribute)
    if (span.isRecording()) {
      span.setAttributes({ 'http.request.method': request.method, 'url.path': pathOf(request.url) })
    }
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const response = await handle(request)
        span.setAttribute('http.response.status_code', response.status)
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
        return response
      } catch (error) {
        endFailed(span, error)
        throw error
      }
    })
  }
}

export function httpTracing() {
  const plugin = new Elysia({ name: 'http-tracing' })
  if (!isTracing()) return plugin
  return (
    plugin
      // Elysia calls it as hoc(handler, request)(request); its declared type says less than that
      .wrap(tracedFetch as never)
      // returns undefined: the parse hooks after it (auth, size, the parser) still run
      .onParse({ as: 'global' }, ({ request, route }) => nameServerSpan(request.method, route))
      .onTransform({ as: 'global' }, ({ request, route }) => nameServerSpan(request.method, route))
  )
}

/** Names the request's server span by its route template (twice for a request with a body: same name). */
function nameServerSpan(method: string, route: string | undefined): void {
  const span = trace.getActiveSpan()
  if (!span?.isRecording() || !route) return
  span.updateName(`${method} ${route}`)
  span.setAttribute('http.route', route)
}
