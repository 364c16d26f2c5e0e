/**
 * Shared arrangements for the rate-limit tests: the env that turns the limits on (a 2 s window, so a burst sent
 * right after a window starts never straddles its edge), the wait for that start, and the 429 assertions.
 */
import { expect } from 'bun:test'
import { expectProblem, type TestResponse } from './harness'

export const WINDOW_MS = 2_000

export function rateLimitEnv(limits: { orders: number; ip: number }): Record<string, string> {
  return {
    RATE_LIMIT_ORDERS_PER_SECOND: String(limits.orders),
    RATE_LIMIT_IP_PER_SECOND: String(limits.ip),
    RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  }
}

/** Sleeps until a fresh window (aligned to the clock, as the limiters are) has just begun. */
export async function waitForWindowStart(): Promise<void> {
  await Bun.sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 5)
}

/** A 429 RATE_LIMITED problem with RateLimit-Policy, RateLimit (remaining 0) and Retry-After. */
export function expectRateLimited(res: TestResponse, limit: number): void {
  expectProblem(res, 429, 'RATE_LIMITED')
  const windowSeconds = WINDOW_MS / 1000
  expect(res.headers.get('ratelimit-policy'), res.text).toBe(`${limit};w=${windowSeconds}`)
  const retryAfter = Number(res.headers.get('retry-after'))
  expect(retryAfter, res.text).toBeGreaterThanOrEqual(1)
  expect(retryAfter, res.text).toBeLessThanOrEqual(windowSeconds)
  expect(res.headers.get('ratelimit'), res.text).toBe(`limit=${limit}, remaining=0, reset=${retryAfter}`)
}

/** The headers of an admitted request on a limited route. */
export function expectAdmittedHeaders(res: TestResponse, limit: number): void {
  expect(res.headers.get('ratelimit-policy'), res.text).toBe(`${limit};w=${WINDOW_MS / 1000}`)
  expect(res.headers.get('ratelimit'), res.text).toMatch(
    new RegExp(`^limit=${limit}, remaining=\\d+, reset=[12]$`),
  )
  expect(res.headers.get('retry-after'), res.text).toBeNull()
}

export function statusTally(responses: TestResponse[]): Record<number, number> {
  const tally: Record<number, number> = {}
  for (const res of responses) tally[res.status] = (tally[res.status] ?? 0) + 1
  return tally
}
