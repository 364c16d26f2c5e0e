/**
 * The simulated dependencies (src/simulators) over real HTTP: the payment gateway's guarantees (one charge per
 * idempotency key, lookup by key, bounded refunds), the recommendation service's stable rankings, and every fault
 * mode of the control API as a client sees it (503, no answer, a dropped connection, a slow body, an outage).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { startPaymentGateway } from '../../src/simulators/payment-gateway'
import { startRecommendationService } from '../../src/simulators/recommendation-service'
import type { Simulator } from '../../src/simulators/sim-server'

let gateway: Simulator
let recommendations: Simulator

beforeAll(async () => {
  gateway = await startPaymentGateway()
  recommendations = await startRecommendationService(Array.from({ length: 30 }, (_, i) => i + 1))
})
afterAll(async () => {
  await gateway.close()
  await recommendations.close()
})
afterEach(async () => {
  for (const sim of [gateway, recommendations])
    await control(sim, 'PUT', '/__control/faults', { mode: 'healthy' })
})

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
})
async function control(sim: Simulator, method: string, path: string, body?: unknown) {
  const response = await fetch(`${sim.url}${path}`, json(method, body))
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
const capture = (key: string, orderId = 1, amount = 10_000, signal?: AbortSignal) =>
  fetch(`${gateway.url}/v1/payments`, { ...json('POST', { idempotencyKey: key, orderId, amount }), signal })
const captures = () => gateway.stats().counters.captures ?? 0
/** a response body as loose JSON, for assertions */
const body = async (response: Response): Promise<any> => response.json()

describe('payment gateway simulator', () => {
  test('one charge per idempotency key: the same capture again answers the first payment', async () => {
    const before = captures()
    const first = await capture('key-once', 7, 25_000)
    const again = await capture('key-once', 7, 25_000)
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    const [a, b] = [await body(first), await body(again)]
    expect(b.paymentId).toBe(a.paymentId)
    expect(a).toMatchObject({ orderId: 7, amount: 25_000, status: 'CAPTURED', refundedAmount: 0 })
    expect(captures()).toBe(before + 1)
    expect((await capture('key-once', 7, 1)).status).toBe(409) // the key with another amount
  })

  test('a payment is found by its key; an unknown key is 404', async () => {
    const created = await body(await capture('key-lookup', 8))
    const found = await fetch(`${gateway.url}/v1/payments/by-key/key-lookup`)
    expect(found.status).toBe(200)
    expect((await body(found)).paymentId).toBe(created.paymentId)
    expect((await fetch(`${gateway.url}/v1/payments/by-key/never-used`)).status).toBe(404)
  })

  test('refunds are keyed and never exceed what was captured', async () => {
    const { paymentId } = await body(await capture('key-refund', 9, 10_000))
    const refund = (key: string, amount: number) =>
      fetch(`${gateway.url}/v1/payments/${paymentId}/refunds`, json('POST', { idempotencyKey: key, amount }))
    const part = await refund('r1', 4_000)
    expect(part.status).toBe(201)
    expect((await body(part)).payment).toMatchObject({ refundedAmount: 4_000, status: 'PARTIALLY_REFUNDED' })
    expect((await refund('r1', 4_000)).status).toBe(200) // replayed, not refunded twice
    expect((await refund('r2', 7_000)).status).toBe(422) // only 6,000 left
    const rest = await refund('r3', 6_000)
    expect((await body(rest)).payment).toMatchObject({ refundedAmount: 10_000, status: 'REFUNDED' })
  })

  test('malformed captures are 400 and charge nothing', async () => {
    const before = captures()
    for (const body of [
      {},
      { idempotencyKey: 'k', orderId: 0, amount: 1 },
      { idempotencyKey: '', orderId: 1, amount: 1 },
    ]) {
      const response = await fetch(`${gateway.url}/v1/payments`, json('POST', body))
      expect(response.status).toBe(400)
    }
    expect(captures()).toBe(before)
  })

  test('a reset loses the answer, not the charge: the capture is there when looked up', async () => {
    await control(gateway, 'PUT', '/__control/faults', { mode: 'reset' })
    const before = captures()
    await expect(capture('key-lost-answer', 10)).rejects.toThrow()
    expect(captures()).toBe(before + 1)
    await control(gateway, 'PUT', '/__control/faults', { mode: 'healthy' })
    expect((await fetch(`${gateway.url}/v1/payments/by-key/key-lost-answer`)).status).toBe(200)
  })
})

describe('recommendation service simulator', () => {
  const recommend = async (memberId: number, limit?: number) => {
    const query = limit === undefined ? '' : `&limit=${limit}`
    const response = await fetch(`${recommendations.url}/v1/recommendations?memberId=${memberId}${query}`)
    return { status: response.status, body: (await response.json()) as { productIds: number[] } }
  }

  test('a stable ranking per member, from its catalog, limited', async () => {
    const first = await recommend(3, 5)
    expect(first.status).toBe(200)
    expect(first.body.productIds).toHaveLength(5)
    expect((await recommend(3, 5)).body.productIds).toEqual(first.body.productIds)
    expect((await recommend(4, 5)).body.productIds).not.toEqual(first.body.productIds)
    expect(first.body.productIds.every((id) => id >= 1 && id <= 30)).toBe(true)
    expect((await recommend(3)).body.productIds).toHaveLength(10)
  })

  test('the catalog can be replaced; bad queries and catalogs are 400', async () => {
    const put = await fetch(`${recommendations.url}/v1/catalog`, json('PUT', { productIds: [101, 102] }))
    expect(put.status).toBe(200)
    expect((await recommend(1, 10)).body.productIds.sort()).toEqual([101, 102])
    expect((await fetch(`${recommendations.url}/v1/catalog`, json('PUT', { productIds: [0] }))).status).toBe(
      400,
    )
    expect((await recommend(0)).status).toBe(400)
    expect((await recommend(1, 51)).status).toBe(400)
    await fetch(
      `${recommendations.url}/v1/catalog`,
      json('PUT', { productIds: Array.from({ length: 30 }, (_, i) => i + 1) }),
    )
  })
})

describe('fault injection through the control API', () => {
  const get = (signal?: AbortSignal) =>
    fetch(`${recommendations.url}/v1/recommendations?memberId=1`, { signal })

  test('error: 503 at the given rate; healthy heals', async () => {
    expect((await control(recommendations, 'PUT', '/__control/faults', { mode: 'error' })).body).toEqual({
      mode: 'error',
      failureRate: 1,
      latencyMs: 0,
    })
    expect((await get()).status).toBe(503)
    await control(recommendations, 'PUT', '/__control/faults', { failureRate: 0.5 })
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => (await get()).status))
    const failed = statuses.filter((s) => s === 503).length
    expect(failed).toBeGreaterThan(50)
    expect(failed).toBeLessThan(150)
    await control(recommendations, 'PUT', '/__control/faults', { mode: 'healthy' })
    expect((await get()).status).toBe(200)
  })

  test('timeout: no answer at all, so the caller’s own deadline fires', async () => {
    await control(recommendations, 'PUT', '/__control/faults', { mode: 'timeout' })
    const started = performance.now()
    await expect(get(AbortSignal.timeout(300))).rejects.toThrow()
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
  })

  test('reset and outage drop the connection', async () => {
    for (const mode of ['reset', 'outage']) {
      await control(recommendations, 'PUT', '/__control/faults', { mode })
      await expect(get()).rejects.toThrow()
    }
  })

  test('latency delays every answer; slow dribbles the body after the headers', async () => {
    await control(recommendations, 'PUT', '/__control/faults', { mode: 'healthy', latencyMs: 200 })
    let started = performance.now()
    expect((await get()).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    await control(recommendations, 'PUT', '/__control/faults', { mode: 'slow', latencyMs: 0 })
    started = performance.now()
    const response = await get()
    const headersAfter = performance.now() - started
    await response.json()
    expect(headersAfter).toBeLessThan(1_000)
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900)
  })

  test('the most requests ever in flight is counted (what a bulkhead test reads)', async () => {
    await control(recommendations, 'POST', '/__control/stats/reset')
    await control(recommendations, 'PUT', '/__control/faults', { latencyMs: 200 })
    await Promise.all(Array.from({ length: 6 }, () => get()))
    const stats = (await control(recommendations, 'GET', '/__control/stats')).body
    expect(stats.maxInFlight).toBe(6)
    expect(stats.requests).toBe(6)
  })

  test('bad control requests are 400 and change nothing; control routes are never faulted', async () => {
    await control(recommendations, 'PUT', '/__control/faults', { mode: 'outage' })
    for (const body of [{ mode: 'broken' }, { failureRate: 2 }, { latencyMs: -1 }, { extra: 1 }, [1]]) {
      expect((await control(recommendations, 'PUT', '/__control/faults', body)).status).toBe(400)
    }
    expect((await control(recommendations, 'GET', '/__control/faults')).body.mode).toBe('outage')
  })
})
