import { describe, expect, test } from 'bun:test'
import { outcomeOf } from '../../src/http/http-metrics'
import { createTestApp, useTestApp } from '../support/harness'
import { sampleOf } from '../support/order-fixtures'

const { t } = useTestApp()

const countOf = (text: string, labels: string) =>
  sampleOf(text, `http_server_requests_seconds_count{${labels}}`)

// Elysia runs onAfterResponse hooks (where requests are observed) just after the response is handed over.
const afterResponseHooks = () => Bun.sleep(20)

describe('GET /actuator/prometheus', () => {
  test('counts requests by route template, status and outcome, never by raw path or id', async () => {
    await t.request('GET', '/api/v1/products/1')
    await t.request('GET', '/api/v1/products/2')
    await t.request('GET', '/api/v1/products/424242')
    await t.request('GET', '/no/such/path/123')
    await t.request('DELETE', '/api/v1/categories')
    await afterResponseHooks()

    const res = await t.request('GET', '/actuator/prometheus')
    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(countOf(res.text, 'method="GET",uri="/api/v1/products/:id",status="200",outcome="SUCCESS"')).toBe(
      2,
    )
    expect(
      countOf(res.text, 'method="GET",uri="/api/v1/products/:id",status="404",outcome="CLIENT_ERROR"'),
    ).toBe(1)
    expect(countOf(res.text, 'method="GET",uri="UNMATCHED",status="404",outcome="CLIENT_ERROR"')).toBe(1)
    expect(countOf(res.text, 'method="DELETE",uri="UNMATCHED",status="405",outcome="CLIENT_ERROR"')).toBe(1)
    // in no label value (a sample value may be anything: bun_jsc_objects once read 424242)
    expect(res.text).not.toMatch(/="[^"]*424242/)
    expect(res.text).not.toContain('/no/such/path')
  })

  test('exposes the latency histogram buckets and the process/runtime metrics', async () => {
    const res = await t.request('GET', '/actuator/prometheus')
    expect(res.text).toContain('http_server_requests_seconds_bucket{le="0.005"')
    expect(res.text).toContain('process_cpu_user_seconds_total')
    expect(res.text).toContain('nodejs_eventloop_lag_seconds')
  })

  test('outcome names the status class as Micrometer does', () => {
    expect([101, 200, 204, 304, 404, 429, 500, 503, 600].map(outcomeOf)).toEqual([
      'INFORMATIONAL',
      'SUCCESS',
      'SUCCESS',
      'REDIRECTION',
      'CLIENT_ERROR',
      'CLIENT_ERROR',
      'SERVER_ERROR',
      'SERVER_ERROR',
      'UNKNOWN',
    ])
  })

  test('business series with known labels exist at 0 before anything happens, so rate() sees the first one', async () => {
    const fresh = await createTestApp()
    try {
      const text = (await fresh.request('GET', '/actuator/prometheus')).text
      for (const series of [
        'marketplace_orders_failed_total{reason="PRODUCT_OUT_OF_STOCK"} 0',
        'marketplace_rate_limit_rejections_total{scope="ip"} 0',
        'marketplace_payments_total{result="unavailable"} 0',
        'marketplace_signups_total{result="created"} 0',
        'marketplace_circuit_breaker_transitions_total{breaker="payment-gateway",to="OPEN"} 0',
        'marketplace_dependency_call_seconds_count{dependency="recommendations",outcome="failure"} 0',
        'marketplace_outbox_failed_total{reason="unavailable"} 0',
        'marketplace_cache_misses_total{cache="product-detail"} 0',
        'marketplace_products_views_total 0',
      ]) {
        expect(text).toContain(series)
      }
    } finally {
      await fresh.close()
    }
  })

  test('signups, views, searches and product creations are counted', async () => {
    const before = (await t.request('GET', '/actuator/prometheus')).text
    const member = { email: 'counted@example.com', password: 'password123', name: 'Counted', role: 'BUYER' }
    expect((await t.request('POST', '/api/v1/auth/signup', { body: member })).status).toBe(201)
    expect((await t.request('POST', '/api/v1/auth/signup', { body: member })).status).toBe(409)
    const seller = { ...member, email: 'no-number@example.com', role: 'SELLER' }
    expect((await t.request('POST', '/api/v1/auth/signup', { body: seller })).status).toBe(422)
    await t.request('GET', '/api/v1/products/1')
    await t.request('GET', '/api/v1/products/424242') // not a view: nothing was shown
    await t.request('GET', '/api/v1/products?keyword=x')
    await t.request('GET', '/api/v1/products/cursor?limit=2')
    const token = await t.login('seller@example.com', 'seller123!')
    const created = await t.request('POST', '/api/v1/products', {
      token,
      body: { name: 'Counted', price: 1000, stockQuantity: 1 },
    })
    expect(created.status, created.text).toBe(201)
    const after = (await t.request('GET', '/actuator/prometheus')).text
    const delta = (series: string) => sampleOf(after, series) - sampleOf(before, series)
    expect(delta('marketplace_signups_total{result="created"}')).toBe(1)
    expect(delta('marketplace_signups_total{result="email_already_exists"}')).toBe(1)
    expect(delta('marketplace_signups_total{result="business_number_required"}')).toBe(1)
    expect(delta('marketplace_products_views_total')).toBe(1)
    expect(delta('marketplace_products_searches_total')).toBe(2)
    expect(delta('marketplace_products_created_total')).toBe(1)
  })
})
