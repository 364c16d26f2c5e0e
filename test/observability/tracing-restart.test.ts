/**
 * Tracing stopped and started again in one process (as `bun test` does, one app per file) exports the spans of the
 * second start: every span comes from the current provider, never from one already shut down. The collector is a
 * real HTTP server taking the OTLP/protobuf posts; a span's name travels as plain UTF-8 in the protobuf bytes.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import {
  inSpan,
  isTracing,
  startTracing,
  stopTracing,
  tracer,
} from '../../src/platform/observability/tracing'

const posts: string[] = []
const collector = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    if (new URL(request.url).pathname === '/v1/traces')
      posts.push(Buffer.from(await request.arrayBuffer()).toString('latin1'))
    return new Response(new Uint8Array(), { headers: { 'content-type': 'application/x-protobuf' } })
  },
})
const settings = {
  endpoint: `http://127.0.0.1:${collector.port}`,
  serviceName: 'marketplace-restart-test',
  sampleRatio: 1,
  exportDelayMs: 50,
}

afterAll(async () => {
  await stopTracing()
  await collector.stop(true)
})

/** Waits (2 s at most) until a post to the collector holds `spanName`. */
async function exported(spanName: string): Promise<boolean> {
  const deadline = Date.now() + 2_000
  while (Date.now() < deadline) {
    if (posts.some((post) => post.includes(spanName))) return true
    await Bun.sleep(20)
  }
  return false
}

describe('tracing started, stopped and started again in one process', () => {
  test('the spans of each start reach the collector, the second start included', async () => {
    startTracing(settings)
    inSpan('first-start-span', {}, () => undefined) // binds whatever tracer the first start handed out
    await stopTracing()
    expect(await exported('first-start-span'), 'the first start exported nothing').toBe(true)

    startTracing(settings)
    expect(isTracing()).toBe(true)
    inSpan('second-start-span', {}, () => undefined)
    tracer.startSpan('second-start-direct-span').end() // callers that start spans on `tracer` themselves
    await stopTracing()

    expect(await exported('second-start-span'), 'the span of the second start went nowhere').toBe(true)
    expect(await exported('second-start-direct-span')).toBe(true)
  })

  test('after the stop, spans are no-ops and nothing more is sent', async () => {
    const before = posts.length
    expect(isTracing()).toBe(false)
    const span = tracer.startSpan('after-stop-span')
    expect(span.isRecording()).toBe(false)
    span.end()
    await Bun.sleep(150)
    expect(posts.length).toBe(before)
  })
})
