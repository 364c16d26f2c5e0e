/**
 * POST /api/v1/admin/faults (SPEC §4, §7): an admin breaks and heals the simulated dependencies through the API,
 * the change lands in the simulator (its control API), and the app's callers feel it; anyone else is refused and
 * nothing changes; a bad change is a 400; a dependency without a control API is a 503.
 */
import { describe, expect, test } from 'bun:test'
import { createTestApp, expectProblem, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })
const faults = (body: unknown, token = tokens.admin) =>
  t.request('POST', '/api/v1/admin/faults', { token, body })

describe('POST /api/v1/admin/faults', () => {
  test('an admin breaks the recommendation service: the simulator has it, recommendations fall back; healing restores them', async () => {
    const res = await faults({ dependency: 'recommendation', mode: 'outage' })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ dependency: 'recommendation', mode: 'outage', failureRate: 1, latencyMs: 0 })
    expect(t.deps.remote.simulators.recommendation!.faults().mode).toBe('outage')
    const fallback = await t.request('GET', '/api/v1/products/recommendations', { token: tokens.buyer })
    expect(fallback.body.source).toBe('fallback')

    const healed = await faults({ dependency: 'recommendation', mode: 'healthy' })
    expect(healed.body).toEqual({
      dependency: 'recommendation',
      mode: 'healthy',
      failureRate: 0,
      latencyMs: 0,
    })
    const back = await t.request('GET', '/api/v1/products/recommendations', { token: tokens.buyer })
    expect(back.body.source).toBe('recommendation')
  })

  test('partial changes keep the rest; the payment gateway is reachable too', async () => {
    await faults({ dependency: 'payment', mode: 'error', failureRate: 0.25 })
    const res = await faults({ dependency: 'payment', latencyMs: 150 })
    expect(res.body).toEqual({ dependency: 'payment', mode: 'error', failureRate: 0.25, latencyMs: 150 })
    expect(t.deps.remote.simulators.payment!.faults()).toEqual({
      mode: 'error',
      failureRate: 0.25,
      latencyMs: 150,
    })
    await faults({ dependency: 'payment', mode: 'healthy' })
  })

  test('not an admin: 401 or 403, and the simulator is untouched', async () => {
    expectProblem(await faults({ dependency: 'payment', mode: 'outage' }, tokens.buyer), 403, 'ACCESS_DENIED')
    expectProblem(
      await t.request('POST', '/api/v1/admin/faults', { body: { dependency: 'payment' } }),
      401,
      'UNAUTHENTICATED',
    )
    expect(t.deps.remote.simulators.payment!.faults().mode).toBe('healthy')
  })

  test('bad changes are 400 and change nothing', async () => {
    for (const body of [
      { dependency: 'database', mode: 'outage' },
      { dependency: 'payment', mode: 'explode' },
      { dependency: 'payment', failureRate: 1.5 },
      { dependency: 'payment', latencyMs: -5 },
      { mode: 'outage' },
    ]) {
      expectProblem(await faults(body), 400, 'VALIDATION_FAILED')
    }
    expect(t.deps.remote.simulators.payment!.faults().mode).toBe('healthy')
  })

  test('a dependency without a control API (a real service) is a 503', async () => {
    const app = await createTestApp({ RECOMMENDATION_URL: 'http://127.0.0.1:9/' })
    try {
      const token = (await app.tokens()).admin
      const res = await app.request('POST', '/api/v1/admin/faults', {
        token,
        body: { dependency: 'recommendation', mode: 'outage' },
      })
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE')
    } finally {
      await app.close()
    }
  })
})
