import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { IdParams, problems } from '../../http/common.model'
import { DeadEventListQuery, OutboxEvent, OutboxEventPage } from './outbox.model'
import type { OutboxService } from './outbox.service'

export function outboxRoutes(guard: ReturnType<typeof authGuard>, outbox: OutboxService) {
  return new Elysia({ name: 'outbox-routes', prefix: '/api/v1/admin/outbox' })
    .use(guard)
    .get('/dead', ({ query }) => outbox.listDeadEvents({ page: query.page, size: query.size }), {
      auth: ['ADMIN'],
      query: DeadEventListQuery,
      response: { 200: OutboxEventPage, ...problems(400, 401, 403) },
      detail: {
        tags: ['Outbox'],
        summary: 'Dead-lettered outbox events, oldest first (admin)',
        description:
          'Events the relay gave up on after its retries (status DEAD), with the last error, for an operator ' +
          'to inspect and re-drive.',
      },
    })
    .post('/:id/redrive', ({ params }) => outbox.redriveDeadEvent(params.id), {
      auth: ['ADMIN'],
      params: IdParams,
      response: { 200: OutboxEvent, ...problems(400, 401, 403, 404) },
      detail: {
        tags: ['Outbox'],
        summary: 'Re-drive a dead-lettered event: back to PENDING with its attempts reset (admin)',
        description:
          'The relay publishes it again on its next pass (at-least-once: consumers deduplicate by `eventId`). ' +
          'An id that is not a DEAD event is a 404.',
      },
    })
}
