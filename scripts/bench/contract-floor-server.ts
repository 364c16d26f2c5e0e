/**
 * The floor of the middleware group (scripts/bench/middleware.ts): the bare liveness route plus only what SPEC
 * requires on every answer, written the cheapest way Elysia allows: the security headers and the request id
 * (echoed from `X-Request-Id`, else a counter). No metrics, no log, no validation of the echoed id. What any app
 * meeting the contract on Elysia pays before a stack of its own; its own server, since `onRequest` hooks run
 * before routing and would reach the bare server's other routes.
 */
import { Elysia } from 'elysia'
import { SECURITY_HEADERS } from '../../src/http/security-headers'

let requestCounter = 0
new Elysia()
  .headers({ ...SECURITY_HEADERS })
  .onRequest(({ request, set }) => {
    set.headers['x-request-id'] =
      request.headers.get('x-request-id') ?? `floor-${(++requestCounter).toString(36)}`
  })
  .get('/actuator/health/liveness', () => ({ status: 'UP' }))
  .listen({ port: Number(process.env.PORT ?? 8091), hostname: '127.0.0.1' })
