/**
 * The outbox's dead letters, for admins: rows the relay gave up on after OUTBOX_MAX_ATTEMPTS (see
 * src/platform/events/outbox-relay.ts) are listed and can be re-driven once whatever refused them is fixed. A re-driven
 * event is published after any later event of its order that already went out: consumers must not assume an
 * order's events arrive complete after a dead letter.
 */
import { AppError } from '../../errors'
import type { ReadRouter } from '../../platform/db/read-routing'
import { type Paged, type PageRequest, toPage } from '../../platform/paging/pages'
import type { OutboxEvent } from './outbox.model'
import { listDeadEvents, type OutboxEventRow, redriveDeadEvent } from './outbox.repository'

function toOutboxEvent(row: OutboxEventRow): OutboxEvent {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
  }
}

export class OutboxService {
  constructor(
    /** the primary (a local file or a libSQL server): the relay marks rows DEAD there */
    private readonly reads: ReadRouter,
  ) {}

  /** From the primary: the relay marks rows DEAD there, and a re-drive must show at once. */
  async listDeadEvents(request: PageRequest): Promise<Paged<OutboxEvent>> {
    const { rows, total } = await listDeadEvents(
      this.reads.primary,
      request.page * request.size,
      request.size,
    )
    return toPage(rows.map(toOutboxEvent), request, total)
  }

  /** DEAD → PENDING, attempts 0; a row that is unknown or not DEAD is a 404. */
  async redriveDeadEvent(id: number): Promise<OutboxEvent> {
    const row = await redriveDeadEvent(this.reads.primary, id)
    if (!row) throw new AppError('NOT_FOUND', `No dead-lettered outbox event ${id}`)
    return toOutboxEvent(row)
  }
}
