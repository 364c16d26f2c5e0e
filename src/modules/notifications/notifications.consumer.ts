/**
 * The notification consumer (the study guide's exercise 6): tells the buyer by "email" (a structured log line)
 * that an order was placed or changed status. Delivery is at-least-once, so each batch is stored in ONE write
 * transaction (notifications.repository.ts: the local file or a libSQL server): per event, the inbox row
 * (consumer, eventId), and only if that row is new, the notification. The
 * emails are logged after the commit, so a redelivered event is neither stored nor sent twice. The transport
 * acknowledges the batch (Kafka: commits the offsets) only after this returns.
 *
 * What arrives is checked against the order events' contract (orders.events.ts): an event that is not an
 * envelope, of a type nobody declared, or whose payload does not match its schema is dead-lettered
 * (consumer_dead_letters, with the reason) in the same transaction and logged, and the stream goes on.
 */
import type { NotificationKind } from '../../../db/schema'
import { type DecodedEvent, EventDecoder } from '../../platform/events/contract'
import type { EventMetrics } from '../../platform/events/event-metrics'
import type { DeliveredEvent } from '../../platform/events/event-publisher'
import type { DeadLetter } from '../../platform/events/inbox'
import type { Logger } from '../../platform/observability/logger'
import { ORDER_EVENTS, type OrderEvent } from '../orders/orders.events'
import type { NewNotification, NotificationStorage } from './notifications.repository'

/** This consumer's name in inbox_events and consumer_dead_letters. */
export const NOTIFICATION_CONSUMER = 'notifications'
/** Its Kafka consumer group (SPEC §10), before the configured prefix. */
export const NOTIFICATION_GROUP = 'marketplace-notifications'

type SentNotification = NewNotification & { subject: string }

const KIND_OF: Record<OrderEvent['eventType'], NotificationKind> = {
  'order.created': 'ORDER_PLACED',
  'order.status-changed': 'ORDER_STATUS_CHANGED',
}

export class NotificationConsumer {
  private readonly decoder = new EventDecoder(ORDER_EVENTS)

  constructor(
    private readonly storage: NotificationStorage,
    private readonly logger: Logger,
    private readonly metrics: Pick<EventMetrics, 'notificationsSent' | 'consumerDeadLetters'>,
  ) {}

  /** An EventHandler: stores the batch's new notifications (and dead letters), then sends (logs) them. */
  readonly handle = async (events: readonly DeliveredEvent[]): Promise<void> => {
    const notifications: SentNotification[] = []
    const deadLetters: (DeadLetter & { decoded: DecodedEvent & { ok: false } })[] = []
    for (const event of events) {
      const decoded = this.decoder.decode(event.value)
      if (!decoded.ok) {
        const { eventId, reason } = decoded
        deadLetters.push({ consumer: NOTIFICATION_CONSUMER, eventId, ...event, reason, decoded })
        continue
      }
      // the decoder checked the payload against ORDER_EVENTS, so the envelope is one of the order events
      const envelope = decoded.envelope as OrderEvent & { eventId: string }
      notifications.push({
        eventId: envelope.eventId,
        orderId: envelope.payload.orderId,
        memberId: envelope.payload.buyerId,
        kind: KIND_OF[envelope.eventType],
        subject: subjectOf(envelope),
      })
    }
    const { sent, deadLettered } = await this.storage.record({
      consumer: NOTIFICATION_CONSUMER,
      notifications,
      deadLetters,
    })
    for (const letter of deadLettered) {
      this.logger.error(
        { consumer: NOTIFICATION_CONSUMER, topic: letter.topic, key: letter.key, eventId: letter.eventId },
        `event dead-lettered: ${letter.decoded.reason}`,
      )
    }
    if (deadLettered.length > 0)
      this.metrics.consumerDeadLetters.labels(NOTIFICATION_CONSUMER).inc(deadLettered.length)
    for (const notification of sent) this.send(notification)
    if (sent.length > 0) this.metrics.notificationsSent.inc(sent.length)
  }

  private send(notification: SentNotification): void {
    const { kind, subject, memberId, orderId, eventId } = notification
    this.logger.info(
      { notification: { channel: 'email', kind, memberId, orderId, eventId, subject } },
      `[NOTIFICATION] ${subject}: email to member ${memberId}`,
    )
  }
}

function subjectOf(event: OrderEvent): string {
  const { orderNumber } = event.payload
  if (event.eventType === 'order.created') return `Order ${orderNumber} placed`
  const { sellerId, to } = event.payload
  return `Order ${orderNumber}: the items of seller ${sellerId} are now ${to}`
}
