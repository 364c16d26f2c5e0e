import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { problems } from '../../http/common.model'
import { FaultRequest, FaultSettings } from './faults.model'
import type { FaultsService } from './faults.service'

export function faultsRoutes(guard: ReturnType<typeof authGuard>, faults: FaultsService) {
  return new Elysia({ name: 'faults-routes', prefix: '/api/v1/admin' })
    .use(guard)
    .post('/faults', ({ body }) => faults.change(body), {
      auth: ['ADMIN'],
      body: FaultRequest,
      parse: 'json',
      response: { 200: FaultSettings, ...problems(400, 401, 403, 413, 415, 503) },
      detail: {
        tags: ['Resilience'],
        summary: 'Break or heal a simulated dependency at runtime (admin)',
        description:
          'Forwarded to the simulator’s control API, so every instance using it sees the change. Try ' +
          '`{"dependency":"recommendation","mode":"outage"}`, call GET /api/v1/products/recommendations a few ' +
          'times (fallback), watch `circuitBreakers` in /actuator/health go OPEN, then heal with ' +
          '`{"dependency":"recommendation","mode":"healthy"}` and watch HALF_OPEN, then CLOSED. A dependency ' +
          'without a control API (a real service) is a 503.',
      },
    })
}
