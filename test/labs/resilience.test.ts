/**
 * The resilience labs in fast mode, against real simulators over HTTP: the direction of each result, never its
 * timings. The bulkhead's effect on product detail p99 is a fraction of a millisecond on this 2-core machine and
 * moves with whatever else runs, so the bulkhead test holds the proxy that does not: the calls held in flight.
 */
import { describe, expect, test } from 'bun:test'
import { breakerLab } from '../../labs/breaker'
import { bulkheadLab } from '../../labs/bulkhead'
import { numberOf } from './cells'

describe('lab breaker (fast mode)', () => {
  test('with the breaker fewer calls reach the failing gateway, some payments are refused at once while OPEN, and the state goes OPEN → HALF_OPEN → CLOSED after the heal', async () => {
    const { table, charts } = await breakerLab.run({ isFast: true })
    const ours = 'circuit breaker'
    const naive = 'no breaker'
    expect(numberOf(table, ours, 'gateway calls')).toBeLessThan(numberOf(table, naive, 'gateway calls'))
    expect(numberOf(table, ours, '503 breaker OPEN')).toBeGreaterThan(0)
    expect(numberOf(table, ours, 'opened')).toBeGreaterThan(0)
    expect(numberOf(table, naive, '503 breaker OPEN')).toBe(0)
    expect(numberOf(table, naive, 'opened')).toBe(0) // it never opened: the naive run really ran without a breaker
    const state = charts![0]!.series[0]!.values
    expect(state).toContain(1) // OPEN
    expect(state).toContain(0.5) // HALF_OPEN: a probe
    expect(state.at(-1)).toBe(0) // CLOSED again once the gateway healed
    // latency over time: without a breaker every payment waits for the gateway (30 ms at least); with it,
    // some stretch of payments is answered at once (refused while OPEN)
    const [withBreaker, without] = charts![2]!.series.map((s) => s.values.filter((v) => v !== null))
    expect(Math.min(...without!)).toBeGreaterThanOrEqual(30)
    expect(Math.min(...withBreaker!)).toBeLessThan(30)
  }, 90_000)
})

describe('lab bulkhead (fast mode)', () => {
  test('with the bulkhead the slow service never holds more than its 8 calls and the overflow is refused at once; without it the calls pile up', async () => {
    const { table, charts } = await bulkheadLab.run({ isFast: true })
    const ours = 'service slow, bulkhead'
    const naive = 'service slow, no bulkhead'
    const inFlight = 'most in flight at service'
    expect(numberOf(table, ours, inFlight)).toBeLessThanOrEqual(8)
    expect(numberOf(table, naive, inFlight)).toBeGreaterThan(16)
    expect(numberOf(table, ours, 'bulkhead refused')).toBeGreaterThan(0)
    expect(numberOf(table, ours, 'fallback')).toBeGreaterThan(0)
    expect(numberOf(table, naive, 'bulkhead refused')).toBe(0)
    const [held, piled] = charts![0]!.series.map((s) => Math.max(...s.values.map(Number)))
    expect(held).toBeLessThanOrEqual(16) // 8 in flight + 8 waiting, as the app sees it
    expect(piled).toBeGreaterThan(16)
  }, 90_000)
})
