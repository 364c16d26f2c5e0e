/**
 * The notification consumer (the study guide's exercise 6): tells the buyer by "email" (a structured log line)
 * that an order was placed or changed status. Delivery is at-least-once, so each batch is stored in ONE write
 * transaction: per event, the inbox row (consumer, eventId), and only if that row is new, the notification. The
 * emails are logged after the commit, so a redelivered event is neither stored nor sent twice. The transport
 * acknowledges the batch (Kafka: commits the offsets) only after this returns.
 */
import type { NotificationKind } from '../../../db/schema'
import type { DatabaseHandle } from '../../platform/database'
import type { DeliveredEvent } from '../../platform/event-publisher'
import type { Logger } from '../../platform/logger'
import { insertNotification, type NewNotification, recordReceipt } from './notifications.repository'

/** This consumer's name in inbox_events. */
export const NOTIFICATION_CONSUMER = 'notifications'
/** Its Kafka consumer group (SPEC §10), before the configured prefix. */
export const NOTIFICATION_GROUP = 'marketplace-notifications'

type OrderEnvelope = {
  eventId: string
  eventType: string
  /** a status change names the seller whose part moved (SPEC §5) */
  payload: { orderId: number; orderNumber?: string; buyerId: number; sellerId?: number; to?: string }
}

type SentNotification = NewNotification & {
  orderNumber: string | undefined
  status: string | undefined
  sellerId: number | undefined
}

const KIND_OF = new Map<string, NotificationKind>([
  ['order.created', 'ORDER_PLACED'],
  ['order.status-changed', 'ORDER_STATUS_CHANGED'],
])

export class NotificationConsumer {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly logger: Logger,
    private readonly sentCounter: { inc(count?: number): void },
  ) {}

  /** An EventHandler: stores the batch's new notifications, then sends (logs) them. */
  readonly handle = (events: readonly DeliveredEvent[]): void => {
    const envelopes = events.flatMap((event) => {
      const envelope = decode(event.value)
      if (!envelope) this.logger.error({ topic: event.topic, key: event.key }, 'undecodable event skipped')
      return envelope ? [envelope] : []
    })
    const sent = this.database.writeTransaction((tx) =>
      envelopes.flatMap((envelope): SentNotification[] => {
        if (!recordReceipt(tx, NOTIFICATION_CONSUMER, envelope.eventId)) return []
        const kind = KIND_OF.get(envelope.eventType)
        if (!kind) return [] // an event this consumer does not notify about: received, nothing to send
        const notification = {
          eventId: envelope.eventId,
          orderId: envelope.payload.orderId,
          memberId: envelope.payload.buyerId,
          kind,
        }
        insertNotification(tx, notification)
        const { orderNumber, to: status, sellerId } = envelope.payload
        return [{ ...notification, orderNumber, status, sellerId }]
      }),
    )
    for (const notification of sent) this.send(notification)
    if (sent.length > 0) this.sentCounter.inc(sent.length)
  }

  private send(notification: SentNotification): void {
    const { kind, orderNumber, status, sellerId } = notification
    const moved = sellerId === undefined ? ' is now' : `: the items of seller ${sellerId} are now`
    const subject =
      kind === 'ORDER_PLACED' ? `Order ${orderNumber} placed` : `Order ${orderNumber}${moved} ${status}`
    this.logger.info(
      {
        notification: {
          channel: 'email',
          kind,
          memberId: notification.memberId,
          orderId: notification.orderId,
          eventId: notification.eventId,
          subject,
        },
      },
      `[NOTIFICATION] ${subject}: email to member ${notification.memberId}`,
    )
  }
}

/** The SPEC §10 envelope of an order event, or undefined when `value` is not one. */
function decode(value: string): OrderEnvelope | undefined {
  try {
    const envelope = JSON.parse(value) as Partial<OrderEnvelope> | null
    const payload = envelope?.payload
    const isOrderEvent =
      typeof envelope?.eventId === 'string' &&
      typeof envelope.eventType === 'string' &&
      Number.isSafeInteger(payload?.orderId) &&
      Number.isSafeInteger(payload?.buyerId)
    return isOrderEvent ? (envelope as OrderEnvelope) : undefined
  } catch {
    return undefined
  }
}
