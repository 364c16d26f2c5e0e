/**
 * The notification consumer (the study guide's exercise 6): tells the buyer by "email" (a structured log line)
 * that an order was placed or changed status. Delivery is at-least-once, so each batch is stored in ONE write
 * transaction: per event, the inbox row (consumer, eventId), and only if that row is new, the notification. The
 * emails are logged after the commit, so a redelivered event is neither stored nor sent twice. The transport
 * acknowledges the batch (Kafka: commits the offsets) only after this returns.
 *
 * What arrives is checked against the order events' contract (orders.events.ts): an event that is not an
 * envelope, of a type nobody declared, or whose payload does not match its schema is dead-lettered
 * (consumer_dead_letters, with the reason) in the same transaction and logged, and the stream goes on.
 */
import type { NotificationKind } from '../../../db/schema'
import type { DatabaseHandle } from '../../platform/db/database'
import { type DecodedEvent, EventDecoder } from '../../platform/events/contract'
import type { EventMetrics } from '../../platform/events/event-metrics'
import type { DeliveredEvent } from '../../platform/events/event-publisher'
import { recordDeadLetter, recordReceipt } from '../../platform/events/inbox'
import type { Logger } from '../../platform/observability/logger'
import { ORDER_EVENTS, type OrderEvent } from '../orders/orders.events'
import { insertNotification, type NewNotification } from './notifications.repository'

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
    private readonly database: DatabaseHandle,
    private readonly logger: Logger,
    private readonly metrics: Pick<EventMetrics, 'notificationsSent' | 'consumerDeadLetters'>,
  ) {}

  /** An EventHandler: stores the batch's new notifications (and dead letters), then sends (logs) them. */
  readonly handle = (events: readonly DeliveredEvent[]): void => {
    const decoded = events.map((event) => ({ event, decoded: this.decoder.decode(event.value) }))
    const { sent, deadLettered } = this.database.writeTransaction((tx) => {
      const sent: SentNotification[] = []
      const deadLettered: { event: DeliveredEvent; decoded: DecodedEvent & { ok: false } }[] = []
      for (const item of decoded) {
        if (!item.decoded.ok) {
          const { eventId, reason } = item.decoded
          const letter = { consumer: NOTIFICATION_CONSUMER, eventId, ...item.event, reason }
          if (recordDeadLetter(tx, letter)) deadLettered.push({ event: item.event, decoded: item.decoded })
          continue
        }
        // the decoder checked the payload against ORDER_EVENTS, so the envelope is one of the order events
        const envelope = item.decoded.envelope as OrderEvent & { eventId: string }
        if (!recordReceipt(tx, NOTIFICATION_CONSUMER, envelope.eventId)) continue
        const notification = {
          eventId: envelope.eventId,
          orderId: envelope.payload.orderId,
          memberId: envelope.payload.buyerId,
          kind: KIND_OF[envelope.eventType],
        }
        insertNotification(tx, notification)
        sent.push({ ...notification, subject: subjectOf(envelope) })
      }
      return { sent, deadLettered }
    })
    for (const { event, decoded } of deadLettered) {
      this.logger.error(
        { consumer: NOTIFICATION_CONSUMER, topic: event.topic, key: event.key, eventId: decoded.eventId },
        `event dead-lettered: ${decoded.reason}`,
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
