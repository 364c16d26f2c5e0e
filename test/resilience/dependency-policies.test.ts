/**
 * The policies of a remote dependency (src/platform/resilience/dependency.ts) against a simulator over real HTTP
 * (src/simulators): the breaker opens at its failure ratio and then fails fast without calling (the simulator's
 * own request counter proves it), lets exactly one probe through when HALF_OPEN, closes on its success and opens
 * again on its failure; the bulkhead bounds the calls in flight and refuses the overflow at once; timeouts abort
 * the request; only idempotent calls are retried; an answer on purpose (4xx) is not a failure.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createLogger } from '../../src/platform/observability/logger'
import { createMetrics } from '../../src/platform/observability/metrics'
import { CircuitBreakers } from '../../src/platform/resilience/circuit-breaker'
import {
  Dependency,
  DependencyError,
  type DependencySettings,
} from '../../src/platform/resilience/dependency'
import { requestJson } from '../../src/platform/resilience/http-json'
import { startRecommendationService } from '../../src/simulators/recommendation-service'
import type { Simulator } from '../../src/simulators/sim-server'

let sim: Simulator
beforeAll(async () => {
  sim = await startRecommendationService([1, 2, 3, 4, 5])
})
afterAll(() => sim.close())
afterEach(() => sim.setFaults({ mode: 'healthy' }))

const SETTINGS: DependencySettings = {
  timeoutMs: 1_000,
  retries: 0,
  retryDelayMs: { initial: 10, max: 20 },
  bulkhead: { maxConcurrent: 10, maxQueue: 10 },
  breaker: { failureRatio: 0.5, window: 10, minimumCalls: 5, openMs: 400 },
}

function setUp(overrides: Partial<DependencySettings> = {}) {
  const metrics = createMetrics()
  const breakers = new CircuitBreakers(
    metrics.circuitBreakerState,
    createLogger('silent'),
    metrics.circuitBreakerTransitions,
  )
  const name = `recommendations-${crypto.randomUUID().slice(0, 8)}`
  const dependency = new Dependency(name, { ...SETTINGS, ...overrides }, breakers, metrics.dependencyCalls)
  const breakerState = () => breakers.states()[name]
  const count = async (metric: string, labels: string) =>
    Number(
      new RegExp(`^${metric}\\{${labels}\\} (\\d+)`, 'm').exec(await metrics.registry.metrics())?.[1] ?? 0,
    )
  return { dependency, breakerState, count, name }
}

const recommend = (dependency: Dependency, query = 'memberId=1', isIdempotent = true) =>
  dependency.call(
    (signal) => requestJson(`${sim.url}/v1/recommendations?${query}`, { method: 'GET' }, signal),
    {
      isIdempotent,
    },
  )
const reasonOf = async (promise: Promise<unknown>) => {
  try {
    await promise
    return 'answered'
  } catch (error) {
    if (error instanceof DependencyError) return error.reason
    throw error
  }
}
const simRequests = () => sim.stats().requests

describe('circuit breaker', () => {
  test('opens at its failure ratio, then fails fast without calling the dependency', async () => {
    const { dependency, breakerState, count, name } = setUp()
    sim.setFaults({ mode: 'error' })
    for (let i = 0; i < 5; i++) expect(await reasonOf(recommend(dependency))).toBe('failure')
    expect(breakerState()).toBe('OPEN')
    const before = simRequests()
    const started = performance.now()
    for (let i = 0; i < 20; i++) expect(await reasonOf(recommend(dependency))).toBe('open')
    expect(simRequests()).toBe(before)
    expect(performance.now() - started).toBeLessThan(100)
    expect(await count('marketplace_circuit_breaker_transitions_total', `breaker="${name}",to="OPEN"`)).toBe(
      1,
    )
    expect(
      await count('marketplace_dependency_call_seconds_count', `dependency="${name}",outcome="open"`),
    ).toBe(20)
  })

  test('after openMs one probe goes alone (HALF_OPEN): the others wait for it, and its success closes the breaker', async () => {
    const { dependency, breakerState, count, name } = setUp()
    sim.setFaults({ mode: 'error' })
    for (let i = 0; i < 5; i++) await reasonOf(recommend(dependency))
    sim.setFaults({ mode: 'healthy', latencyMs: 200 })
    await Bun.sleep(450)
    const before = simRequests()
    const pending = Promise.all(Array.from({ length: 5 }, () => reasonOf(recommend(dependency))))
    await Bun.sleep(100)
    expect(breakerState()).toBe('HALF_OPEN')
    expect(sim.stats().inFlight).toBe(1) // the probe, alone
    expect(await pending).toEqual(['answered', 'answered', 'answered', 'answered', 'answered'])
    expect(simRequests()).toBe(before + 5)
    expect(breakerState()).toBe('CLOSED')
    for (const to of ['OPEN', 'HALF_OPEN', 'CLOSED'])
      expect(
        await count('marketplace_circuit_breaker_transitions_total', `breaker="${name}",to="${to}"`),
      ).toBe(1)
  })

  test('a failed probe opens it again, and the calls that waited for it fail fast without calling', async () => {
    const { dependency, breakerState } = setUp()
    sim.setFaults({ mode: 'error' })
    for (let i = 0; i < 5; i++) await reasonOf(recommend(dependency))
    sim.setFaults({ mode: 'error', latencyMs: 200 })
    await Bun.sleep(450)
    const before = simRequests()
    const reasons = await Promise.all(Array.from({ length: 5 }, () => reasonOf(recommend(dependency))))
    expect(reasons.sort()).toEqual(['failure', 'open', 'open', 'open', 'open'])
    expect(simRequests()).toBe(before + 1)
    expect(breakerState()).toBe('OPEN')
  })

  test('answers on purpose (4xx) are not failures: the breaker stays closed', async () => {
    const { dependency, breakerState } = setUp()
    for (let i = 0; i < 10; i++) {
      const answer = await recommend(dependency, 'memberId=0')
      expect(answer.status).toBe(400)
    }
    expect(breakerState()).toBe('CLOSED')
  })
})

describe('bulkhead', () => {
  test('never more than maxConcurrent calls reach a slow dependency; the overflow past the queue is refused at once', async () => {
    const { dependency, count, name } = setUp({ bulkhead: { maxConcurrent: 3, maxQueue: 2 } })
    sim.setFaults({ mode: 'healthy', latencyMs: 300 })
    await fetch(`${sim.url}/__control/stats/reset`, { method: 'POST' })
    const refusedAt: number[] = []
    const started = performance.now()
    const reasons = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const reason = await reasonOf(recommend(dependency))
        if (reason === 'bulkhead') refusedAt.push(performance.now() - started)
        return reason
      }),
    )
    expect(reasons.filter((r) => r === 'answered')).toHaveLength(5) // 3 in flight + 2 queued
    expect(reasons.filter((r) => r === 'bulkhead')).toHaveLength(7)
    expect(Math.max(...refusedAt)).toBeLessThan(100)
    expect(sim.stats().maxInFlight).toBe(3)
    expect(
      await count('marketplace_dependency_call_seconds_count', `dependency="${name}",outcome="bulkhead"`),
    ).toBe(7)
    expect(dependency.load()).toEqual({ inFlight: 0, queued: 0 })
  })
})

describe('timeout and retries', () => {
  test('an attempt past timeoutMs is abandoned and its request aborted', async () => {
    const { dependency } = setUp({ timeoutMs: 200 })
    sim.setFaults({ mode: 'timeout' })
    const started = performance.now()
    expect(await reasonOf(recommend(dependency, 'memberId=1', false))).toBe('timeout')
    expect(performance.now() - started).toBeLessThan(600)
    await Bun.sleep(100)
    expect(sim.stats().inFlight).toBe(0) // the simulator saw the connection close
  })

  test('idempotent calls are retried with backoff; the others are tried once', async () => {
    const { dependency } = setUp({ retries: 2 })
    sim.setFaults({ mode: 'error' })
    let before = simRequests()
    expect(await reasonOf(recommend(dependency, 'memberId=1', true))).toBe('failure')
    expect(simRequests()).toBe(before + 3)
    before = simRequests()
    expect(await reasonOf(recommend(dependency, 'memberId=1', false))).toBe('failure')
    expect(simRequests()).toBe(before + 1)
  })

  test('a retry that succeeds is an answer: transient failures are absorbed', async () => {
    // a breaker that cannot open here: half the attempts fail, and an OPEN breaker would (rightly) stop retries
    const breaker = { failureRatio: 0.99, window: 100, minimumCalls: 100, openMs: 400 }
    const { dependency } = setUp({ retries: 3, breaker })
    sim.setFaults({ mode: 'reset', failureRate: 0.5 })
    const reasons = await Promise.all(Array.from({ length: 20 }, () => reasonOf(recommend(dependency))))
    // a call fails only if 4 attempts in a row failed: (1/2)^4 each
    expect(reasons.filter((r) => r === 'answered').length).toBeGreaterThanOrEqual(15)
  })
})
