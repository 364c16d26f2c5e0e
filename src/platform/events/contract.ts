/**
 * The event contract every producer and consumer shares. The envelope (SPEC §10) is declared here, once; each
 * producing feature declares its events in its own `<feature>.events.ts` as an EventCatalog (event type → topic,
 * aggregate type and TypeBox payload schema). The composition root merges the catalogs: the relay routes by it
 * (EventTopics) and consumers check what they receive against it (EventDecoder), so a payload's shape is written
 * once, next to its producer, and a consumer never re-declares it.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'

/** The envelope version every event is written with; a breaking payload change gets a new event type. */
export const EVENT_VERSION = 1

export type EventContract<TPayload extends TSchema = TSchema> = {
  /** before the configured prefix (KAFKA_TOPIC_PREFIX) */
  topic: string
  aggregateType: string
  payload: TPayload
}

export type EventCatalog = Readonly<Record<string, EventContract>>

/** SPEC §10's envelope, as stored in the outbox row and sent as the Kafka message value. */
export const EventEnvelopeSchema = Type.Object({
  eventId: Type.String({ minLength: 1, maxLength: 64 }),
  eventType: Type.String({ minLength: 1 }),
  aggregateType: Type.String({ minLength: 1 }),
  aggregateId: Type.String({ minLength: 1 }),
  // a pattern, not `format: 'date-time'`: TypeBox checks formats only once someone registered them (Elysia does)
  occurredAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$' }),
  version: Type.Integer({ minimum: 1 }),
  payload: Type.Unknown(),
})

export type EventEnvelope<TType extends string = string, TPayload = unknown> = Omit<
  Static<typeof EventEnvelopeSchema>,
  'eventType' | 'payload'
> & { eventType: TType; payload: TPayload }

/** What a producer hands to the outbox: the envelope without what the outbox adds (id, time, version). */
export type DomainEvent<TType extends string = string, TPayload = unknown> = Omit<
  EventEnvelope<TType, TPayload>,
  'eventId' | 'occurredAt' | 'version'
>

/** The events of `catalog`, each with its own payload type: what its producer may append. */
export type EventOf<TCatalog extends EventCatalog> = {
  [K in keyof TCatalog & string]: DomainEvent<K, Static<TCatalog[K]['payload']>>
}[keyof TCatalog & string]

/** Event type → topic with the configured prefix, from the merged catalogs. */
export class EventTopics {
  private readonly byType: ReadonlyMap<string, string>

  constructor(catalog: EventCatalog, prefix = '') {
    this.byType = new Map(
      Object.entries(catalog).map(([type, contract]) => [type, `${prefix}${contract.topic}`]),
    )
  }

  /** The topic of `eventType`, or undefined for an event type nobody declared (its outbox rows end DEAD). */
  topicOf(eventType: string): string | undefined {
    return this.byType.get(eventType)
  }

  /** Every topic, once each. */
  all(): string[] {
    return [...new Set(this.byType.values())]
  }
}

export type DecodedEvent =
  | { ok: true; envelope: EventEnvelope }
  | { ok: false; eventId?: string; reason: string }

/** Checks delivered values against the envelope and their event's payload schema (compiled once per type). */
export class EventDecoder {
  private readonly envelope = TypeCompiler.Compile(EventEnvelopeSchema)
  private readonly payloads: ReadonlyMap<string, TypeCheck<TSchema>>

  constructor(catalog: EventCatalog) {
    this.payloads = new Map(
      Object.entries(catalog).map(([type, contract]) => [type, TypeCompiler.Compile(contract.payload)]),
    )
  }

  decode(value: string): DecodedEvent {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      return { ok: false, reason: 'not JSON' }
    }
    if (!this.envelope.Check(parsed)) {
      const eventId = (parsed as { eventId?: unknown } | null)?.eventId
      return {
        ok: false,
        eventId: typeof eventId === 'string' ? eventId.slice(0, 64) : undefined,
        reason: `not an event envelope: ${describeFirstError(this.envelope, parsed)}`,
      }
    }
    const payload = this.payloads.get(parsed.eventType)
    if (!payload)
      return { ok: false, eventId: parsed.eventId, reason: `unknown event type ${parsed.eventType}` }
    if (!payload.Check(parsed.payload)) {
      const problem = describeFirstError(payload, parsed.payload)
      return { ok: false, eventId: parsed.eventId, reason: `${parsed.eventType} payload: ${problem}` }
    }
    return { ok: true, envelope: parsed as EventEnvelope }
  }
}

function describeFirstError(check: TypeCheck<TSchema>, value: unknown): string {
  const error = check.Errors(value).First()
  return error ? `${error.path || '/'} ${error.message}` : 'does not match its schema'
}
