import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { IdParams, problems } from '../../http/common.model'
import { idempotencyKeys } from '../../http/idempotency'
import { Order } from '../orders/orders.model'
import type { PaymentsService } from './payments.service'

export function paymentsRoutes(guard: ReturnType<typeof authGuard>, payments: PaymentsService) {
  return new Elysia({ name: 'payments-routes', prefix: '/api/v1' })
    .use(guard)
    .use(idempotencyKeys)
    .post(
      '/orders/:id/payment',
      async ({ principal, params, idempotency }) => {
        const { order, isReplay } = await payments.pay(principal, params.id, idempotency)
        if (isReplay) idempotency?.markReplayed()
        return order
      },
      {
        auth: ['BUYER'],
        idempotent: true,
        params: IdParams,
        response: { 200: Order, ...problems(400, 401, 403, 404, 409, 422, 503) },
        detail: {
          tags: ['Orders'],
          summary: 'Pay my order: PENDING → CONFIRMED through the payment gateway; Idempotency-Key replays',
          description:
            'Captures the total of the order’s live parts through the payment gateway (behind a timeout, retries, a ' +
            'bulkhead and a circuit breaker), then confirms the order. One charge per order whatever happens: the ' +
            'gateway’s own key is derived from the order. Gateway down, too slow or its breaker open: 503 ' +
            '`PAYMENT_UNAVAILABLE` with Retry-After, and the order stays PENDING. An order already paid answers ' +
            'its current state; a cancelled one is a 409. With `Idempotency-Key`: replays as for orders.',
        },
      },
    )
}
