/**
 * The floor of the middleware group (scripts/bench/middleware.ts): the bare liveness route plus the one thing
 * SPEC requires on every answer, written the cheapest way Elysia allows: the request id (SPEC §3: echoed from
 * `X-Request-Id`, else generated; here from a counter, with no validation of the echoed id). No security
 * headers, metrics or log: what any app meeting the contract on Elysia pays before a stack of its own. Its own
 * server, since `onRequest` hooks run before routing and would reach the bare server's other routes.
 */
import { Elysia } from 'elysia'

let requestCounter = 0
new Elysia()
  .onRequest(({ request, set }) => {
    set.headers['x-request-id'] =
      request.headers.get('x-request-id') ?? `floor-${(++requestCounter).toString(36)}`
  })
  .get('/actuator/health/liveness', () => ({ status: 'UP' }))
  .listen({ port: Number(process.env.PORT ?? 8091), hostname: '127.0.0.1' })
