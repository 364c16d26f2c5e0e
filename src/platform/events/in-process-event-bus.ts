/**
 * The embedded default's transport (SPEC §2, no KAFKA_BROKERS): the relay publishes to subscribers in this
 * process. `publish` resolves only after every subscribed handler has finished with the batch (stored its effect),
 * so a row is marked PUBLISHED only once its consumers are done: a crash loses nothing, and the consumers see a
 * redelivery after one instead (they deduplicate by eventId). A handler that throws rejects the publish: the relay
 * treats it as the event's own failure (attempts, backoff, DEAD), since no outage can explain it here.
 */
import {
  type DeliveredEvent,
  type EventHandler,
  type EventPublisher,
  type EventSubscriber,
  type OutgoingEvent,
  PublishError,
  type TransportHealth,
} from './event-publisher'

type Subscription = { groupId: string; topics: ReadonlySet<string>; handle: EventHandler }

export class InProcessEventBus implements EventPublisher, EventSubscriber {
  readonly mode = 'in-process'
  private readonly subscriptions: Subscription[] = []

  async start(): Promise<void> {}

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    for (const subscription of this.subscriptions) {
      const delivered: DeliveredEvent[] = events
        .filter((event) => subscription.topics.has(event.topic))
        .map((event) => ({
          topic: event.topic,
          key: event.key,
          value: event.value,
          traceparent: event.traceparent,
        }))
      if (delivered.length === 0) continue
      try {
        await subscription.handle(delivered)
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new PublishError('rejected', `consumer ${subscription.groupId} failed: ${reason}`, {
          cause: error,
        })
      }
    }
  }

  async probe(): Promise<TransportHealth> {
    return { status: 'UP', details: { mode: 'in-process', subscriptions: this.subscriptions.length } }
  }

  async subscribe(groupId: string, topics: readonly string[], handle: EventHandler): Promise<void> {
    this.subscriptions.push({ groupId, topics: new Set(topics), handle })
  }

  /** Delivery is synchronous with publishing: nothing published is ever waiting for a consumer. */
  async consumerLag(): Promise<Record<string, number>> {
    return {}
  }

  async close(): Promise<void> {
    this.subscriptions.length = 0
  }
}
