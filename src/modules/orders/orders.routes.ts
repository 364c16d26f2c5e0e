import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { IdParams, problems } from '../../http/common.model'
import { idempotencyKeys } from '../../http/idempotency'
import type { MemberRateLimit } from '../../http/rate-limit'
import {
  ChangeOrderStatusBody,
  CreateOrderBody,
  Order,
  OrderCursorPage,
  OrderListQuery,
} from './orders.model'
import type { OrdersService } from './orders.service'

export function ordersRoutes(
  guard: ReturnType<typeof authGuard>,
  orders: OrdersService,
  limitOrdersOf: MemberRateLimit,
) {
  return new Elysia({ name: 'orders-routes', prefix: '/api/v1' })
    .use(guard)
    .use(idempotencyKeys)
    .post(
      '/orders',
      async ({ principal, body, idempotency, set }) => {
        // after authentication and validation: the allowance is per member, spent only on real attempts
        await limitOrdersOf(principal.memberId, set.headers as Record<string, string>)
        const { order, isReplay } = await orders.placeOrder(principal, body, idempotency)
        if (isReplay) idempotency?.markReplayed()
        set.status = 201
        set.headers.location = `/api/v1/orders/${order.id}`
        return order
      },
      {
        auth: ['BUYER'],
        idempotent: true,
        body: CreateOrderBody,
        parse: 'json',
        response: { 201: Order, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        detail: {
          tags: ['Orders'],
          summary: 'Place an order: all lines or none, stock taken atomically; Idempotency-Key replays',
        },
      },
    )
    .get('/orders', ({ principal, query }) => orders.listMyOrders(principal, query.cursor, query.limit), {
      auth: ['BUYER'],
      query: OrderListQuery,
      response: { 200: OrderCursorPage, ...problems(400, 401, 403) },
      detail: { tags: ['Orders'], summary: 'My orders, newest first (cursor pages)' },
    })
    .get('/orders/:id', ({ principal, params }) => orders.getOrder(principal, params.id), {
      auth: 'any',
      params: IdParams,
      response: { 200: Order, ...problems(400, 401, 404) },
      detail: {
        tags: ['Orders'],
        summary:
          'One order: the whole of it for its buyer or an admin; a seller of one of its lines sees only its part',
      },
    })
    .post('/orders/:id/cancel', ({ principal, params }) => orders.cancelOrder(principal, params.id), {
      auth: ['BUYER'],
      params: IdParams,
      response: { 200: Order, ...problems(400, 401, 403, 404, 409) },
      detail: {
        tags: ['Orders'],
        summary: 'Cancel my order: every part, unless one has shipped (409); the stock comes back',
      },
    })
    .get(
      '/sellers/orders',
      ({ principal, query }) => orders.listSellerOrders(principal, query.cursor, query.limit),
      {
        auth: ['SELLER'],
        query: OrderListQuery,
        response: { 200: OrderCursorPage, ...problems(400, 401, 403) },
        detail: {
          tags: ['Orders'],
          summary: 'My parts of the orders holding my products (only my lines), newest first (cursor pages)',
        },
      },
    )
    .patch(
      '/sellers/orders/:id/status',
      ({ principal, params, body }) =>
        orders.changeOrderStatus(principal, params.id, body.status, body.sellerId),
      {
        auth: ['SELLER', 'ADMIN'],
        params: IdParams,
        body: ChangeOrderStatusBody,
        parse: 'json',
        response: { 200: Order, ...problems(400, 401, 403, 404, 409, 413, 415) },
        detail: {
          tags: ['Orders'],
          summary:
            "Move the caller's part of an order: CONFIRMED → SHIPPED → DELIVERED, or CANCELLED (its stock back)",
          description:
            'A seller moves only its own part; the order status follows from its parts (CANCELLED when all are, ' +
            'else the least advanced live part). PENDING → CONFIRMED is not a seller move: payment confirms; ' +
            'until payments exist an admin may confirm a whole order. An admin moves the part of `sellerId`, ' +
            'or every live part without it.',
        },
      },
    )
}
