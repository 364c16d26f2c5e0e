/**
 * GET /api/v1/products/recommendations (SPEC §4, §7) against the recommendation simulator the app starts itself,
 * over real HTTP: ranked listed products while it is healthy; popular products marked `source: "fallback"` when it
 * is down, failing, too slow or its breaker is OPEN (then without calling it: the simulator's own counter proves
 * it); the breaker in health; a slow service with its bulkhead full never holds more calls than the bulkhead and
 * never stops product reads or orders.
 */
import { describe, expect, test } from 'bun:test'
import type { ProductsService } from '../../src/modules/catalog/products.service'
import { RecommendationsService } from '../../src/modules/recommendations/recommendations.service'
import type { RecommendationClient } from '../../src/platform/dependencies/recommendation-client'
import { createLogger } from '../../src/platform/observability/logger'
import { DependencyError } from '../../src/platform/resilience/dependency'
import type { Simulator } from '../../src/simulators/sim-server'
import { useTestApp } from '../support/harness'
import { orderBody } from '../support/order-fixtures'

const { t, tokens } = useTestApp(
  // a breaker quick enough to watch in a test; a small bulkhead to fill
  {
    RECOMMENDATION_BREAKER_WINDOW: '10',
    RECOMMENDATION_BREAKER_MINIMUM_CALLS: '4',
    RECOMMENDATION_BREAKER_OPEN_MS: '500',
    RECOMMENDATION_BULKHEAD_MAX_CONCURRENT: '3',
    RECOMMENDATION_BULKHEAD_MAX_QUEUE: '2',
    RATE_LIMIT_IP_PER_SECOND: '0',
    RATE_LIMIT_ORDERS_PER_SECOND: '0',
  },
  { tokens: true },
)

const simulator = (): Simulator => t.deps.remote.simulators.recommendation!
const recommendations = (token = tokens.buyer) =>
  t.request('GET', '/api/v1/products/recommendations', { token })
const popularIds = async () =>
  (await t.request('GET', '/api/v1/products/popular')).body.map((p: { id: number }) => p.id)
const idsOf = (body: { products: { id: number }[] }) => body.products.map((p) => p.id)
const waitUntilClosed = async () => {
  simulator().setFaults({ mode: 'healthy' })
  for (let i = 0; i < 40 && t.deps.breakers.states().recommendations !== 'CLOSED'; i++) {
    await Bun.sleep(100)
    await recommendations()
  }
}

describe('GET /api/v1/products/recommendations', () => {
  test('healthy: a stable ranking of listed products from the recommendation service', async () => {
    await waitUntilClosed()
    const first = await recommendations()
    expect(first.status, first.text).toBe(200)
    expect(first.body.source).toBe('recommendation')
    expect(first.body.products.length).toBeGreaterThan(0)
    expect(first.body.products.length).toBeLessThanOrEqual(10)
    expect(
      first.body.products.every((p: { status: string }) => ['ON_SALE', 'SOLD_OUT'].includes(p.status)),
    ).toBe(true)
    expect(idsOf((await recommendations()).body)).toEqual(idsOf(first.body))
  })

  test('without a token it is a 401', async () => {
    expect((await t.request('GET', '/api/v1/products/recommendations')).status).toBe(401)
  })

  test('service down or failing: 200 with the popular products, marked fallback', async () => {
    await waitUntilClosed()
    for (const mode of ['outage', 'error', 'timeout'] as const) {
      simulator().setFaults({ mode })
      const res = await recommendations()
      expect(res.status, res.text).toBe(200)
      expect(res.body.source).toBe('fallback')
      expect(idsOf(res.body)).toEqual(await popularIds())
      await waitUntilClosed()
    }
  })

  test('after enough failures the breaker opens: fallback at once, the service no longer called; health shows it; it closes again', async () => {
    await waitUntilClosed()
    simulator().setFaults({ mode: 'error' })
    for (let i = 0; i < 4; i++) expect((await recommendations()).body.source).toBe('fallback')
    expect(t.deps.breakers.states().recommendations).toBe('OPEN')
    const before = simulator().stats().requests
    for (let i = 0; i < 10; i++) expect((await recommendations()).body.source).toBe('fallback')
    expect(simulator().stats().requests).toBe(before)

    const health = await t.request('GET', '/actuator/health', { token: tokens.admin })
    expect(health.body.components.circuitBreakers.details.recommendations).toBe('OPEN')
    const metrics = (await t.request('GET', '/actuator/prometheus')).text
    expect(metrics).toContain('marketplace_circuit_breaker_state{breaker="recommendations"} 1')
    expect(metrics).toMatch(
      /marketplace_dependency_call_seconds_count\{dependency="recommendations",outcome="open"\} \d+/,
    )

    simulator().setFaults({ mode: 'healthy' })
    await Bun.sleep(550)
    expect((await recommendations()).body.source).toBe('recommendation') // the HALF_OPEN probe
    expect(t.deps.breakers.states().recommendations).toBe('CLOSED')
    expect((await t.request('GET', '/actuator/prometheus')).text).toContain(
      'marketplace_circuit_breaker_transitions_total{breaker="recommendations",to="HALF_OPEN"}',
    )
  })

  test('a slow service with its bulkhead full: never more calls than the bulkhead, the overflow falls back at once, product reads and orders go on', async () => {
    await waitUntilClosed()
    simulator().setFaults({ mode: 'healthy', latencyMs: 2_000 })
    await fetch(`${simulator().url}/__control/stats/reset`, { method: 'POST' })
    const pending = Promise.all(Array.from({ length: 30 }, () => recommendations()))
    await Bun.sleep(100)
    const detail = await Promise.all(Array.from({ length: 20 }, () => t.request('GET', '/api/v1/products/1')))
    const order = await t.request('POST', '/api/v1/orders', {
      token: tokens.buyer,
      body: orderBody([{ productId: 1, quantity: 1 }]),
    })
    expect(detail.every((res) => res.status === 200)).toBe(true)
    expect(order.status, order.text).toBe(201)
    const answers = await pending
    expect(answers.every((res) => res.status === 200 && res.body.source === 'fallback')).toBe(true)
    expect(simulator().stats().maxInFlight).toBeLessThanOrEqual(3)
    const metrics = (await t.request('GET', '/actuator/prometheus')).text
    const refused = Number(
      /dependency_call_seconds_count\{dependency="recommendations",outcome="bulkhead"\} (\d+)/.exec(
        metrics,
      )?.[1],
    )
    expect(refused).toBeGreaterThanOrEqual(25) // 30 calls, 3 in flight + 2 queued at most
    simulator().setFaults({ mode: 'healthy' })
  }, 20_000)
})

describe('the fallback can fail too', () => {
  test('popular products unreadable: 200-shaped answer with an empty list, still marked fallback', async () => {
    const client = {
      productIdsFor: async () => {
        throw new DependencyError('recommendations', 'open')
      },
    } as unknown as RecommendationClient
    const products = {
      popularProducts: async () => {
        throw new Error('database unavailable')
      },
    } as unknown as ProductsService
    const service = new RecommendationsService(client, products, createLogger('silent'))
    expect(await service.recommendationsFor({ memberId: 3, role: 'BUYER' })).toEqual({
      source: 'fallback',
      products: [],
    })
  })
})
