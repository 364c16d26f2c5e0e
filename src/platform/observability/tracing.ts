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
 * globals back, so a later app in the same process (tests) starts untraced.
 */
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
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

let provider: TracerProvider | undefined

/** The tracer every span comes from: a no-op until startTracing, then the provider's. */
export const tracer = trace.getTracer('marketplace')

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
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}

/** Sends what is buffered and unregisters the globals (closeDeps). */
export async function stopTracing(): Promise<void> {
  const stopping = provider
  if (!stopping) return
  provider = undefined
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

/** The active span's ids for a log line (pino's mixin), when tracing. */
export function traceIdsForLog(): { trace_id?: string; span_id?: string } {
  if (!provider) return {}
  const span = trace.getSpan(context.active())
  if (!span) return {}
  const { traceId, spanId } = span.spanContext()
  return { trace_id: traceId, span_id: spanId }
}
