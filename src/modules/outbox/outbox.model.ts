import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OUTBOX_STATUSES } from '../../../db/schema'
import { Id, OffsetPage, OffsetPageQuery, Timestamp } from '../../http/common.model'
import { component } from '../../http/component.model'

export const OutboxEvent = component(
  'OutboxEvent',
  t.Object({
    id: Id,
    eventId: t.String({ description: 'The envelope eventId (UUID) consumers deduplicate by' }),
    eventType: t.String(),
    aggregateType: t.String(),
    aggregateId: t.String({ description: "The aggregate's id as the envelope carries it (text)" }),
    status: t.UnionEnum(OUTBOX_STATUSES, { default: undefined }),
    attempts: Type.Integer({ minimum: 0 }),
    lastError: t.Union([t.String(), t.Null()]),
    payload: t.String({ description: 'The stored SPEC §10 envelope JSON, as the relay sends it' }),
    createdAt: Timestamp,
  }),
  {
    description: 'An event of the transactional outbox, with its delivery state',
    example: {
      id: 17,
      eventId: '0b7e4a52-3f1c-4d8e-9a6b-2c5d8e1f4a37',
      eventType: 'order.created',
      aggregateType: 'Order',
      aggregateId: '42',
      status: 'DEAD',
      attempts: 10,
      lastError: 'KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 10.0.3.7:9092',
      payload:
        '{"eventId":"0b7e4a52-3f1c-4d8e-9a6b-2c5d8e1f4a37","eventType":"order.created","aggregateType":"Order",' +
        '"aggregateId":"42","occurredAt":"2026-11-25T10:00:00.000Z","version":1,"payload":{"orderId":42,' +
        '"orderNumber":"8F3A2C9D1E4B7F60","buyerId":3,"totalAmount":1500000,' +
        '"items":[{"productId":1,"sellerId":2,"quantity":1}]}}',
      createdAt: '2026-11-25T10:00:00.000Z',
    },
  },
)
export type OutboxEvent = typeof OutboxEvent.static

export const OutboxEventPage = OffsetPage(OutboxEvent)
export const DeadEventListQuery = t.Object(OffsetPageQuery)
