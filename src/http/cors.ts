/**
 * CORS for the browser origins in CORS_ORIGINS (exact matches; none by default, and then this plugin adds no
 * hook at all). A request from an allowed origin gets `Access-Control-Allow-Origin: <origin>` and the exposed
 * headers; a preflight (OPTIONS with Access-Control-Request-Method) from one is answered 204 here, before the
 * rate limit and routing, with the methods and request headers the API takes. A disallowed origin gets no CORS
 * header, so the browser refuses the response, and its preflight falls through to the usual 405/404 problem.
 * No credentials mode: the API authenticates with Bearer tokens, never cookies. Every response carries
 * `Vary: Origin` when CORS is on, so a shared cache never serves one origin's answer to another.
 */
import { Elysia } from 'elysia'

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE'
const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id'
const EXPOSE_HEADERS =
  'X-Request-Id, ETag, Location, RateLimit, RateLimit-Policy, Retry-After, Idempotent-Replayed'
/** how long a browser may reuse a preflight answer, in seconds */
const PREFLIGHT_MAX_AGE_SECONDS = '600'

export function cors(allowedOrigins: readonly string[]) {
  const plugin = new Elysia({ name: 'cors' })
  if (allowedOrigins.length === 0) return plugin
  const allowed = new Set(allowedOrigins)
  return plugin.onRequest(({ request, set }) => {
    set.headers.vary = 'Origin'
    const origin = request.headers.get('origin')
    if (origin === null || !allowed.has(origin)) return
    set.headers['access-control-allow-origin'] = origin
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      set.headers['access-control-allow-methods'] = ALLOW_METHODS
      set.headers['access-control-allow-headers'] = ALLOW_HEADERS
      set.headers['access-control-max-age'] = PREFLIGHT_MAX_AGE_SECONDS
      set.status = 204
      return new Response(null, { status: 204 })
    }
    set.headers['access-control-expose-headers'] = EXPOSE_HEADERS
  })
}
