/**
 * The order events (SPEC §10): the one contract the order service appends to the outbox, the relay routes by
 * (topic per event type, key = order id) and consumers check what they receive against. Changing a payload here
 * changes it for every side at once; a change old consumers could not read gets a new event type instead.
 */
import { Type } from '@sinclair/typebox'
import { ORDER_STATUSES } from '../../../db/schema'
import type { EventCatalog, EventOf } from '../../platform/events/contract'

const OrderId = Type.Integer({ minimum: 1 })
const MemberId = Type.Integer({ minimum: 1 })
const Status = Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status)))

export const OrderCreatedPayload = Type.Object({
  orderId: OrderId,
  orderNumber: Type.String({ pattern: '^[0-9A-F]{16}$' }),
  buyerId: MemberId,
  totalAmount: Type.Integer({ minimum: 0 }),
  items: Type.Array(
    Type.Object({
      productId: Type.Integer({ minimum: 1 }),
      sellerId: MemberId,
      quantity: Type.Integer({ minimum: 1 }),
    }),
    { minItems: 1 },
  ),
})

/** One seller's part moved (SPEC §5): which part, from where to where, and the order's derived status after. */
export const OrderStatusChangedPayload = Type.Object({
  orderId: OrderId,
  orderNumber: Type.String({ pattern: '^[0-9A-F]{16}$' }),
  buyerId: MemberId,
  sellerId: MemberId,
  from: Status,
  to: Status,
  orderStatus: Status,
  lines: Type.Array(
    Type.Object({ productId: Type.Integer({ minimum: 1 }), quantity: Type.Integer({ minimum: 1 }) }),
  ),
})

export const ORDER_EVENTS = {
  'order.created': {
    topic: 'marketplace.order.created',
    aggregateType: 'Order',
    payload: OrderCreatedPayload,
  },
  'order.status-changed': {
    topic: 'marketplace.order.status-changed',
    aggregateType: 'Order',
    payload: OrderStatusChangedPayload,
  },
} as const satisfies EventCatalog

export type OrderEvent = EventOf<typeof ORDER_EVENTS>
export type OrderEventType = OrderEvent['eventType']

/** An order event ready for the outbox: aggregate type and id (the Kafka key) follow from the contract. */
export function orderEvent<T extends OrderEventType>(
  eventType: T,
  payload: Extract<OrderEvent, { eventType: T }>['payload'],
): OrderEvent {
  return {
    eventType,
    aggregateType: ORDER_EVENTS[eventType].aggregateType,
    aggregateId: String(payload.orderId),
    payload,
  } as OrderEvent
}
