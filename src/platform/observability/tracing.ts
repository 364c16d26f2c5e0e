/**
 * Distributed tracing with OpenTelemetry (SPEC §10), off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. When on: a
 * TracerProvider exporting OTLP/HTTP (protobuf) in batches, a parent-based ratio sampler (an incoming sampled
 * `traceparent` is followed; new traces are kept at OTEL_TRACES_SAMPLER_ARG), W3C trace-context propagation, and
 * the AsyncLocalStorage context manager, so the span of a request is the parent of everything awaited inside it.
 *
 * The official packages run on Bun as they are (checked: AsyncLocalStorage carries the context across awaits,
 * timers and setImmediate; the protobuf exporter posts through node:http). Two things needed care here, not in
 * the SDK: Elysia has no per-request hook that wraps the whole pipeline, so the server span comes from the app's
 * fetch wrapper (src/http/tracing.ts); and work that runs later on someone else's turn (a group commit runs every
 * order of an event-loop turn in one `setImmediate`) is bound to its caller's context (`bindToCaller`).
 *
 * The API is OpenTelemetry's global one (instrumentations expect it), so this module keeps the one switch,
 * `isTracing()`: every hot path asks it first and does nothing more when tracing is off. `stopTracing` puts the
 * globals back, so a later app in the same process (tests) starts untraced. `tracer` is re-bound by both: a tracer
 * taken from the global API once at load would keep the first provider for good (OpenTelemetry's ProxyTracer
 * caches its delegate), and after a stop and a new start its spans would go to the provider shut down.
 */
import {
  type Context,
  context,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace'

export type TracingSettings = {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces` */
  endpoint: string
  serviceName: string
  /** share of new traces kept, 0–1 (OTEL_TRACES_SAMPLER_ARG) */
  sampleRatio: number
  /** how often finished spans are sent, ms */
  exportDelayMs: number
}

const TRACER_NAME = 'marketplace'
/** A provider never given a delegate: its tracer makes no-op spans, whatever is registered globally later. */
const UNTRACED = new ProxyTracerProvider().getTracer(TRACER_NAME)

let provider: TracerProvider | undefined

/**
 * The tracer every span comes from: a no-op until startTracing, then the current provider's, a no-op again after
 * stopTracing. An ES live binding, re-bound by both: read it where a span starts, never keep a copy.
 */
export let tracer: Tracer = UNTRACED

export function isTracing(): boolean {
  return provider !== undefined
}

export function startTracing(settings: TracingSettings): void {
  if (provider) throw new Error('tracing is already started in this process')
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces` }),
        scheduledDelayMillis: settings.exportDelayMs,
      }),
    ],
  })
  trace.setGlobalTracerProvider(provider)
  tracer = provider.getTracer(TRACER_NAME)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}

/** Sends what is buffered and unregisters the globals (closeDeps). */
export async function stopTracing(): Promise<void> {
  const stopping = provider
  if (!stopping) return
  provider = undefined
  tracer = UNTRACED
  await stopping.shutdown().catch(() => undefined)
  trace.disable()
  context.disable()
  propagation.disable()
}

/**
 * Runs `work` in a span named `name` (a child of the active one) when tracing is on; otherwise just runs it. The
 * span ends when `work` returns or, for a promise, settles; a throw marks it failed.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: () => T): T {
  if (!provider) return work()
  return tracer.startActiveSpan(name, options, (span) => {
    let result: T
    try {
      result = work()
    } catch (error) {
      endFailed(span, error)
      throw error
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          span.end()
          return value
        },
        (error) => {
          endFailed(span, error)
          throw error
        },
      ) as T
    }
    span.end()
    return result
  })
}

export function endFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error))
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined })
  span.end()
}

/** `work` bound to the caller's context, for work that runs later on another turn (a group commit). */
export function bindToCaller<F extends (...args: never[]) => unknown>(work: F): F {
  return provider ? context.bind(context.active(), work) : work
}

/** The active context as a W3C `traceparent` (stored with an outbox row), or null when not tracing. */
export function currentTraceparent(): string | null {
  if (!provider) return null
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent ?? null
}

/** The context a stored or received `traceparent` names (the root context without one). */
export function contextOf(traceparent: string | null | undefined): Context {
  if (!provider || !traceparent) return ROOT_CONTEXT
  return propagation.extract(ROOT_CONTEXT, { traceparent })
}

/** The active span's context when tracing and its trace is kept: the ids of an unsampled one are never exported. */
function sampledSpanContext(): SpanContext | undefined {
  if (!provider) return undefined
  const spanContext = trace.getActiveSpan()?.spanContext()
  return spanContext && spanContext.traceFlags & TraceFlags.SAMPLED ? spanContext : undefined
}

/** The active trace's id for the access log (src/http/request-context.ts): only for a trace that is kept. */
export function currentTraceId(): string | undefined {
  return sampledSpanContext()?.traceId
}

/** The active span's ids for a log line (pino's mixin): `trace_id` as in the access log, for a kept trace. */
export function traceIdsForLog(): { trace_id?: string; span_id?: string } {
  const spanContext = sampledSpanContext()
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}
}
