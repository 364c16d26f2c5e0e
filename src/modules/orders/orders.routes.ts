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
          description:
            'Every line is taken from stock in one transaction, or none is: too little stock is a 409 ' +
            '`PRODUCT_OUT_OF_STOCK` naming the product, and nothing changes. Lines snapshot the name and price. ' +
            'With `Idempotency-Key` (kept 24 h per member), the same key and body replay the first answer ' +
            '(`Idempotent-Replayed: true`); another body is a 422 `IDEMPOTENCY_KEY_MISMATCH`, and a retry while ' +
            'the first is still running a 409 `REQUEST_IN_PROGRESS`. Limited per member (429).',
        },
      },
    )
    .get('/orders', ({ principal, query }) => orders.listMyOrders(principal, query.cursor, query.limit), {
      auth: ['BUYER'],
      query: OrderListQuery,
      response: { 200: OrderCursorPage, ...problems(400, 401, 403) },
      detail: {
        tags: ['Orders'],
        summary: 'My orders, newest first (cursor pages)',
        description: "The caller's orders as a buyer, each whole, paged by `cursor` and `limit`.",
      },
    })
    .get('/orders/:id', ({ principal, params }) => orders.getOrder(principal, params.id), {
      auth: 'any',
      params: IdParams,
      response: { 200: Order, ...problems(400, 401, 404) },
      detail: {
        tags: ['Orders'],
        summary:
          'One order: the whole of it for its buyer or an admin; a seller of one of its lines sees only its part',
        description:
          "A seller sees its own lines, subtotal and part status, and the shipping address; never another seller's " +
          'lines. Anyone else gets the same 404 as for an order that does not exist.',
      },
    })
    .post('/orders/:id/cancel', ({ principal, params }) => orders.cancelOrder(principal, params.id), {
      auth: ['BUYER'],
      params: IdParams,
      response: { 200: Order, ...problems(400, 401, 403, 404, 409) },
      detail: {
        tags: ['Orders'],
        summary: 'Cancel my order: every part, unless one has shipped (409); the stock comes back',
        description:
          'From PENDING or CONFIRMED only: once any part is SHIPPED the answer is 409 ' +
          '`INVALID_ORDER_STATUS_TRANSITION`. Every line goes back to stock exactly once.',
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
          description:
            "Each order as the seller sees it: only the caller's lines, subtotal and part status, with the " +
            'shipping address.',
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
            'else the least advanced live part). Nobody confirms here (409): only the buyer’s payment does ' +
            '(POST /orders/{id}/payment). An admin moves the part of `sellerId`, or every live part without it. ' +
            'Cancelling a part of a paid order refunds that part.',
        },
      },
    )
}
