/**
 * Tracing end to end against a real Jaeger v2 (scripts/jaeger.ts: OTLP in, query API out) and a real Kafka: an
 * order placed with a known `traceparent` must show in Jaeger as one trace — the HTTP server span, the write
 * transaction, the outbox append, the relay's publish to Kafka and the notification consumer — each the child of
 * the one before, across the outbox row and the Kafka message. Logs written inside a span carry its ids.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type JaegerSpan, jaegerTrace, type RunningJaeger, startJaeger } from '../../scripts/jaeger'
import { createLogger } from '../../src/platform/observability/logger'
import { isTracing, tracer } from '../../src/platform/observability/tracing'
import { kafkaTestEnv, useTestApp } from '../support/harness'
import { orderBody, outboxOf, postOrder } from '../support/order-fixtures'

let jaeger: RunningJaeger | undefined
const jaegerHome = mkdtempSync(join(tmpdir(), 'marketplace-jaeger-'))

const { t, tokens } = useTestApp(
  async () => {
    jaeger = await startJaeger({ home: jaegerHome })
    return {
      ...(await kafkaTestEnv('tracing')),
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'marketplace-test',
    }
  },
  { tokens: true, startEventFlow: true },
)

afterAll(async () => {
  await jaeger?.stop()
  rmSync(jaegerHome, { recursive: true, force: true })
}, 15_000)

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')

/** Waits until Jaeger holds a span of the trace for which `isComplete` says enough is there. */
async function traceUntil(
  traceId: string,
  isComplete: (spans: JaegerSpan[]) => boolean,
): Promise<JaegerSpan[]> {
  const deadline = Date.now() + 20_000
  let spans: JaegerSpan[] = []
  while (Date.now() < deadline) {
    spans = await jaegerTrace(jaeger!.queryUrl, traceId)
    if (isComplete(spans)) return spans
    await Bun.sleep(200)
  }
  throw new Error(`trace ${traceId} incomplete after 20 s: ${spans.map((s) => s.operationName).join(', ')}`)
}

const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value

describe('an order is one trace from HTTP to the consumer', () => {
  test('HTTP span → transaction → outbox append → Kafka publish → notification consumer', async () => {
    expect(isTracing()).toBe(true)
    const traceId = hex(16)
    const callerSpanId = hex(8)
    const res = await postOrder(t, tokens.buyer, orderBody([{ productId: 2, quantity: 1 }]))
    expect(res.status, res.text).toBe(201) // untraced by the caller: a trace of its own
    const traced = await t.request('POST', '/api/v1/orders', {
      token: tokens.buyer,
      body: orderBody([{ productId: 2, quantity: 1 }]),
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    })
    expect(traced.status, traced.text).toBe(201)

    // the outbox row carries the trace of the request that wrote it
    const [row] = outboxOf(t, traced.body.id)
    const stored = (row as unknown as { trace_context: string | null }).trace_context
    expect(stored).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))

    const spans = await traceUntil(traceId, (found) =>
      found.some((s) => s.operationName.endsWith(' process')),
    )
    const byName = (name: string) => {
      const span = spans.find((s) => s.operationName === name || s.operationName.endsWith(name))
      expect(span, `no span "${name}" in ${spans.map((s) => s.operationName).join(', ')}`).toBeDefined()
      return span!
    }
    const http = byName('POST /api/v1/orders')
    const append = byName('outbox append order.created')
    const publish = byName('order.created publish')
    const consume = byName('order.created process')

    expect(parentOf(http)).toBe(callerSpanId) // the caller's traceparent was continued
    expect(tag(http, 'http.route')).toBe('/api/v1/orders')
    expect(tag(http, 'http.response.status_code')).toBe(201)
    // two transactions: the order's (under the request) and the consumer's (under its span)
    const transactions = spans.filter((s) => s.operationName === 'db.transaction')
    const transaction = transactions.find((s) => parentOf(s) === http.spanID)
    expect(transaction, 'no transaction under the request').toBeDefined()
    expect(parentOf(append)).toBe(transaction!.spanID)
    expect(stored).toContain(append.spanID) // the row keeps the append's context …
    expect(parentOf(publish)).toBe(append.spanID) // … which the relay's publish continues
    expect(tag(publish, 'messaging.system')).toBe('kafka')
    expect(parentOf(consume)).toBe(publish.spanID) // and the consumer continues the Kafka header's
    expect(tag(consume, 'messaging.consumer.group.name')).toBeDefined()
    expect(transactions.some((s) => parentOf(s) === consume.spanID)).toBe(true) // the consumer's own writes
    for (const span of spans) expect(span.traceID).toBe(traceId)
  })

  test('a product read shows its cache fill (the query) under the request', async () => {
    const traceId = hex(16)
    const res = await t.request('GET', '/api/v1/products/3', {
      headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
    })
    expect(res.status).toBe(200)
    const spans = await traceUntil(traceId, (found) => found.some((s) => s.operationName.startsWith('GET ')))
    const http = spans.find((s) => s.operationName === 'GET /api/v1/products/:id')!
    expect(http).toBeDefined()
    const fill = spans.find((s) => s.operationName === 'db.query product-detail')
    if (fill) expect(parentOf(fill)).toBe(http.spanID) // absent when an earlier test's read filled the cache
  })
})

describe('requests refused before their handler are named by their route', () => {
  test('a POST refused by authentication while its body waits (401) is "POST /api/v1/orders"', async () => {
    const traceId = hex(16)
    const res = await t.request('POST', '/api/v1/orders', {
      body: orderBody([{ productId: 2, quantity: 1 }]),
      headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
    })
    expect(res.status, res.text).toBe(401)
    const [http] = await traceUntil(traceId, (found) => found.length > 0)
    expect(http!.operationName).toBe('POST /api/v1/orders')
    expect(tag(http!, 'http.response.status_code')).toBe(401)
  })
})

describe('logs carry the trace', () => {
  test('a line written inside a span has its trace_id and span_id', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = createLogger('info', sink)
    tracer.startActiveSpan('logging', (span) => {
      logger.info('inside')
      span.end()
    })
    logger.info('outside')
    const [inside, outside] = lines.map((line) => JSON.parse(line))
    expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(inside.span_id).toMatch(/^[0-9a-f]{16}$/)
    expect(outside.trace_id).toBeUndefined()
  })
})
