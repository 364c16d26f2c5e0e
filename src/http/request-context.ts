/**
 * Request id and access log. The id is echoed from `X-Request-Id` when it is a safe token (so log lines cannot
 * be forged through it), otherwise generated; it is kept per Request object so the error handler can put it in
 * problem bodies even for errors raised before routing (parse, 404, 413).
 */
import { Elysia } from 'elysia'
import type { Logger } from '../platform/logger'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const requestIds = new WeakMap<Request, string>()

export function requestIdOf(request: Request): string {
  let id = requestIds.get(request)
  if (!id) {
    const incoming = request.headers.get('x-request-id')
    id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
    requestIds.set(request, id)
  }
  return id
}

export function requestContext(logger: Logger) {
  return new Elysia({ name: 'request-context' })
    .onRequest(({ request, set }) => {
      set.headers['x-request-id'] = requestIdOf(request)
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, route }) => {
      // debug level: an info line per request costs a measurable share of a cached read's throughput
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          { requestId: requestIdOf(request), method: request.method, route, status: set.status },
          'request',
        )
      }
    })
}
