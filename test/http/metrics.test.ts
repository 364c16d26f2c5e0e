import { describe, expect, test } from 'bun:test'
import { useTestApp } from '../support/harness'

const { t } = useTestApp()

const countOf = (text: string, labels: string) =>
  Number(text.match(new RegExp(`http_server_requests_seconds_count\\{${labels}\\} (\\d+)`))?.[1] ?? 0)

// Elysia runs onAfterResponse hooks (where requests are observed) just after the response is handed over.
const afterResponseHooks = () => Bun.sleep(20)

describe('GET /actuator/prometheus', () => {
  test('counts requests by route template and status, never by raw path or id', async () => {
    await t.request('GET', '/api/v1/products/1')
    await t.request('GET', '/api/v1/products/2')
    await t.request('GET', '/api/v1/products/424242')
    await t.request('GET', '/no/such/path/123')
    await t.request('DELETE', '/api/v1/categories')
    await afterResponseHooks()

    const res = await t.request('GET', '/actuator/prometheus')
    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(countOf(res.text, 'method="GET",uri="/api/v1/products/:id",status="200"')).toBe(2)
    expect(countOf(res.text, 'method="GET",uri="/api/v1/products/:id",status="404"')).toBe(1)
    expect(countOf(res.text, 'method="GET",uri="UNMATCHED",status="404"')).toBe(1)
    expect(countOf(res.text, 'method="DELETE",uri="UNMATCHED",status="405"')).toBe(1)
    expect(res.text).not.toContain('424242')
    expect(res.text).not.toContain('/no/such/path')
  })

  test('exposes the latency histogram buckets and the process/runtime metrics', async () => {
    const res = await t.request('GET', '/actuator/prometheus')
    expect(res.text).toContain('http_server_requests_seconds_bucket{le="0.005"')
    expect(res.text).toContain('process_cpu_user_seconds_total')
    expect(res.text).toContain('nodejs_eventloop_lag_seconds')
  })
})
