/**
 * The event path in the trace of the request that caused it (SPEC §10): the outbox row keeps the `traceparent`
 * of the write that appended it (outbox.ts); publishing an event is a producer span, child of that context, whose
 * own context travels in the message's `traceparent` header; a consumer's work on an event is a consumer span,
 * child of the header's context. So an order is one trace: HTTP request → transaction → outbox append → publish →
 * notification consumer. Both decorators are applied only when tracing is on (deps.ts); the spans'
 * `messaging.system` is the wrapped transport's own `mode`.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { contextOf, endFailed, tracer } from '../observability/tracing'
import type {
  DeliveredEvent,
  EventHandler,
  EventPublisher,
  EventSubscriber,
  OutgoingEvent,
  TransportMode,
} from './event-publisher'

/** Each published event in a producer span; the message carries the span's context. */
export function tracedPublisher(inner: EventPublisher): EventPublisher {
  return {
    mode: inner.mode,
    start: () => inner.start(),
    probe: () => inner.probe(),
    close: () => inner.close(),
    async publish(events: readonly OutgoingEvent[]): Promise<void> {
      const spans: Span[] = []
      const traced = events.map((event) => {
        const span = tracer.startSpan(
          `${event.topic} publish`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': inner.mode,
              'messaging.destination.name': event.topic,
              'messaging.message.id': event.eventId,
            },
          },
          contextOf(event.traceparent),
        )
        spans.push(span)
        const carrier: Record<string, string> = {}
        propagation.inject(trace.setSpan(context.active(), span), carrier)
        return { ...event, traceparent: carrier.traceparent }
      })
      try {
        await inner.publish(traced)
        for (const span of spans) span.end()
      } catch (error) {
        for (const span of spans) endFailed(span, error)
        throw error
      }
    },
  }
}

/** A consumer's handler with a consumer span per delivered event, child of the event's `traceparent`. */
export function tracedSubscriber(inner: EventSubscriber): EventSubscriber {
  return {
    mode: inner.mode,
    subscribe: (groupId, topics, handle) =>
      inner.subscribe(groupId, topics, (events) => inConsumerSpans(inner.mode, groupId, events, handle)),
    consumerLag: () => inner.consumerLag(),
    close: () => inner.close(),
  }
}

/**
 * One span per event; the handler (one call for the batch) runs in the first event's span, so what it does (its
 * transaction) shows under that event; with one event per batch, the usual case at low load, that is exact.
 */
async function inConsumerSpans(
  system: TransportMode,
  groupId: string,
  events: readonly DeliveredEvent[],
  handle: EventHandler,
): Promise<void> {
  const spans = events.map((event) =>
    tracer.startSpan(
      `${event.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': system,
          'messaging.destination.name': event.topic,
          'messaging.consumer.group.name': groupId,
          'messaging.batch.message_count': events.length,
        },
      },
      contextOf(event.traceparent),
    ),
  )
  const first = spans[0]
  try {
    await (first
      ? context.with(trace.setSpan(context.active(), first), () => handle(events))
      : handle(events))
    for (const span of spans) {
      span.setStatus({ code: SpanStatusCode.OK })
      span.end()
    }
  } catch (error) {
    for (const span of spans) endFailed(span, error)
    throw error
  }
}
