import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OUTBOX_STATUSES } from '../../../db/schema'
import { Id, OffsetPage, OffsetPageQuery, Timestamp } from '../../http/common.model'

export const OutboxEvent = t.Object({
  id: Id,
  eventId: t.String(),
  eventType: t.String(),
  aggregateType: t.String(),
  aggregateId: t.String(),
  status: t.UnionEnum(OUTBOX_STATUSES),
  attempts: Type.Integer({ minimum: 0 }),
  lastError: t.Union([t.String(), t.Null()]),
  payload: t.String({ description: 'The stored SPEC §10 envelope JSON, as the relay sends it' }),
  createdAt: Timestamp,
})
export type OutboxEvent = typeof OutboxEvent.static

export const OutboxEventPage = OffsetPage(OutboxEvent)
export const DeadEventListQuery = t.Object(OffsetPageQuery)
