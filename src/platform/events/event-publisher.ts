/**
 * Where outbox events go, behind two small interfaces so the transport can be replaced (kafkajs is unmaintained,
 * see INFRA.md): an EventPublisher takes a batch and resolves only once every event is acknowledged (a broker's
 * acks=all, or the in-process subscribers having stored them); an EventSubscriber hands delivered events to a
 * consumer group. Delivery is at-least-once: consumers deduplicate by eventId. Topics come from the features'
 * event contracts (events/contract.ts), one per event type, keyed by aggregate id: an aggregate's events of one
 * type stay in order on one partition; across topics, the relay sends an aggregate's next event only after its
 * previous one is stored (outbox-batch.ts).
 */

/** What a transport's probe reports; /actuator/health shows it as the `kafka` component. */
export type TransportHealth = { status: 'UP' | 'DOWN'; details: Record<string, unknown> }

/** One event on the wire: the stored envelope (SPEC §10) as the value, the aggregate id as the key. */
export type OutgoingEvent = {
  topic: string
  key: string
  eventId: string
  eventType: string
  /** the envelope JSON exactly as the outbox row stores it */
  value: string
  /** W3C trace context, sent as the `traceparent` header: the publish span's when tracing (event-tracing.ts) */
  traceparent?: string
}

/**
 * Why a publish failed, as the relay must treat it. `unavailable`: the transport could not be reached or did not
 * answer in time; nothing is wrong with the events, so they are retried later without counting an attempt.
 * `rejected`: the transport refused an event for a reason of its own (too large, invalid); the relay isolates
 * the culprit and counts an attempt against it.
 */
export class PublishError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'rejected',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'PublishError'
  }
}

/** Which transport carries the events (the spans' `messaging.system`, health's `kafka` component). */
export type TransportMode = 'kafka' | 'in-process'

export interface EventPublisher {
  readonly mode: TransportMode
  /** Connects and creates the topics; a failure is not fatal (publish tries again). */
  start(): Promise<void>
  /** Resolves once every event is acknowledged; rejects with a PublishError. One call at a time. */
  publish(events: readonly OutgoingEvent[]): Promise<void>
  /** A real probe of the transport, for /actuator/health. */
  probe(): Promise<TransportHealth>
  close(): Promise<void>
}

/** An event as a consumer receives it. */
export type DeliveredEvent = {
  topic: string
  key: string | null
  value: string
  /** the `traceparent` header it came with, if any: the consumer's span continues that trace */
  traceparent?: string
}

/**
 * A consumer's work on a batch of delivered events. The transport acknowledges the batch (commits the offsets)
 * only after the returned promise resolves; a rejection means the batch is delivered again.
 */
export type EventHandler = (events: readonly DeliveredEvent[]) => void | Promise<void>

export interface EventSubscriber {
  readonly mode: TransportMode
  /**
   * Delivers the events of `topics` to `handle`, as consumer group `groupId`. Resolves once subscribed, or after a
   * first failed attempt when the transport is unreachable (it keeps trying in the background).
   */
  subscribe(groupId: string, topics: readonly string[], handle: EventHandler): Promise<void>
  /** Messages published but not yet processed by the groups, per topic (empty when it cannot be known). */
  consumerLag(): Promise<Record<string, number>>
  close(): Promise<void>
}
