/**
 * The recommendation scenarios of `bun run bench` (issue #13), on the main bench server and the recommendation
 * simulator it started itself (in process: its work shares the server's CPU, as in the embedded default):
 * - healthy: `GET /api/v1/products/recommendations` as a buyer;
 * - fallback: the same with the simulator in outage and the breaker OPEN (driven through POST /api/v1/admin/faults
 *   before the run, healed after it): popular products marked fallback. Goal: ≥ 80 % of `GET /products/popular`
 *   read by the same buyer (the fallback *is* that buyer's popular read, so like for like the ratio shows what
 *   the breaker, the fallback and the labelling cost). The anonymous popular read is reported next to it: the
 *   gap between the two is the authenticated route's own cost (token, per-request revocation check), which
 *   every route with `auth` pays whether a dependency is up or not;
 * - product detail while the recommendation service is slow (2 s per call, within the bench server's 3 s timeout,
 *   so calls hold their bulkhead slots instead of failing) and 24 clients keep asking for recommendations (the
 *   bulkhead full, the overflow refused at once). Goal: detail p99 ≤ 1.5× the same run's normal detail p99.
 * The bench server gets RECOMMENDATION_TIMEOUT_MS=3000 and RECOMMENDATION_BREAKER_OPEN_MS=1000 (bench.ts).
 */
import { loginDemo } from './http'
import type { ScenarioSummary } from './report'
import type { Scenario } from './scenario'

export const RECOMMENDATIONS_HEALTHY = 'GET /api/v1/products/recommendations, healthy'
export const RECOMMENDATIONS_FALLBACK = 'GET /api/v1/products/recommendations, breaker OPEN → fallback'
export const POPULAR = 'GET /api/v1/products/popular'
export const POPULAR_AS_BUYER = 'GET /api/v1/products/popular as the same buyer'
export const DETAIL_WHILE_SLOW = 'GET /api/v1/products/1 while recommendations are slow, bulkhead full'
export const RECOMMENDATION_BENCH_ENV = {
  RECOMMENDATION_TIMEOUT_MS: '3000',
  RECOMMENDATION_BREAKER_OPEN_MS: '1000',
  // the payment scenario's 64 connections all admitted (16 in flight + 64 waiting), none refused by the bulkhead
  PAYMENT_BULKHEAD_MAX_QUEUE: '64',
}
const GOAL = { fallbackOfPopular: 0.8, slowDetailP99OfNormal: 1.5 }
const BACKGROUND_CLIENTS = 24

/** The demo buyer's and admin's tokens from the running bench server (its secret is random per run). */
async function tokensOf(app: string) {
  const [buyer, admin] = await Promise.all([loginDemo(app, 'BUYER'), loginDemo(app, 'ADMIN')])
  return { buyer, admin }
}

async function setFaults(app: string, admin: string, change: Record<string, unknown>) {
  const response = await fetch(`${app}/api/v1/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ dependency: 'recommendation', ...change }),
  })
  if (response.status !== 200) throw new Error(`admin/faults: ${response.status} ${await response.text()}`)
}

async function breakerState(app: string, admin: string): Promise<string | undefined> {
  const response = await fetch(`${app}/actuator/health`, { headers: { authorization: `Bearer ${admin}` } })
  const body = (await response.json()) as {
    components?: { circuitBreakers?: { details?: Record<string, string> } }
  }
  return body.components?.circuitBreakers?.details?.recommendations
}

/** Calls recommendations until the breaker is in `state` (at most 10 s). */
async function driveBreakerTo(app: string, tokens: { buyer: string; admin: string }, state: string) {
  const deadline = Date.now() + 10_000
  while ((await breakerState(app, tokens.admin)) !== state) {
    if (Date.now() > deadline) throw new Error(`the recommendations breaker did not reach ${state}`)
    await fetch(`${app}/api/v1/products/recommendations`, {
      headers: { authorization: `Bearer ${tokens.buyer}` },
    })
    await Bun.sleep(50)
  }
}

/** Clients asking for recommendations in a loop until stopped (a short pause after each answer). */
function backgroundAsking(app: string, buyer: string) {
  let isStopped = false
  const clients = Array.from({ length: BACKGROUND_CLIENTS }, async () => {
    while (!isStopped) {
      await fetch(`${app}/api/v1/products/recommendations`, { headers: { authorization: `Bearer ${buyer}` } })
      await Bun.sleep(50)
    }
  })
  return async () => {
    isStopped = true
    await Promise.all(clients)
  }
}

export function recommendationScenarios(): Scenario[] {
  let tokens: { buyer: string; admin: string } | undefined
  // the buyer's token, once known: the two recommendation scenarios share this object with wrk
  const headers: Record<string, string> = {}
  const url = async (app: string, path: string) => {
    tokens ??= await tokensOf(app)
    headers.authorization = `Bearer ${tokens.buyer}`
    return `${app}${path}`
  }
  let stopBackground: (() => Promise<void>) | undefined
  return [
    {
      name: RECOMMENDATIONS_HEALTHY,
      url: async ({ app }) => url(app, '/api/v1/products/recommendations'),
      headers,
      around: {
        before: async (app) => {
          await setFaults(app, tokens!.admin, { mode: 'healthy', latencyMs: 0 })
          await driveBreakerTo(app, tokens!, 'CLOSED')
        },
        after: async () => {},
      },
    },
    {
      name: RECOMMENDATIONS_FALLBACK,
      url: async ({ app }) => url(app, '/api/v1/products/recommendations'),
      headers,
      around: {
        before: async (app) => {
          await setFaults(app, tokens!.admin, { mode: 'outage' })
          await driveBreakerTo(app, tokens!, 'OPEN')
        },
        after: async (app) => {
          await setFaults(app, tokens!.admin, { mode: 'healthy', latencyMs: 0 })
          await driveBreakerTo(app, tokens!, 'CLOSED')
        },
      },
    },
    { name: POPULAR, url: ({ app }) => `${app}/api/v1/products/popular` },
    { name: POPULAR_AS_BUYER, url: async ({ app }) => url(app, '/api/v1/products/popular'), headers },
    {
      name: DETAIL_WHILE_SLOW,
      url: async ({ app }) => url(app, '/api/v1/products/1'),
      around: {
        before: async (app) => {
          await setFaults(app, tokens!.admin, { mode: 'healthy', latencyMs: 2_000 })
          stopBackground = backgroundAsking(app, tokens!.buyer)
          await Bun.sleep(500) // the bulkhead fills
        },
        after: async (app) => {
          await stopBackground?.()
          await setFaults(app, tokens!.admin, { mode: 'healthy', latencyMs: 0 })
        },
      },
    },
  ]
}

export function reportRecommendations(
  summaries: ScenarioSummary[],
  normalDetail: ScenarioSummary | undefined,
) {
  const find = (name: string) => summaries.find((s) => s.name === name)
  const fallback = find(RECOMMENDATIONS_FALLBACK)
  const popular = find(POPULAR_AS_BUYER)
  const anonymous = find(POPULAR)
  const slow = find(DETAIL_WHILE_SLOW)
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL')
  const lines: string[] = []
  if (fallback && popular) {
    const ratio = fallback.requestsPerSecond / popular.requestsPerSecond
    const ofAnonymous = anonymous ? fallback.requestsPerSecond / anonymous.requestsPerSecond : undefined
    lines.push(
      `recommendations via fallback ≥ ${GOAL.fallbackOfPopular * 100} % of the same buyer's popular read: ` +
        `${verdict(ratio >= GOAL.fallbackOfPopular)} (${(ratio * 100).toFixed(1)} %` +
        (ofAnonymous === undefined ? ')' : `; ${(ofAnonymous * 100).toFixed(1)} % of the anonymous read)`),
    )
  }
  if (slow && normalDetail) {
    const ratio = slow.p99Ms / normalDetail.p99Ms
    lines.push(
      `detail p99 while recommendations are slow ≤ ${GOAL.slowDetailP99OfNormal}× normal ` +
        `(${slow.p99Ms.toFixed(2)} vs ${normalDetail.p99Ms.toFixed(2)} ms): ` +
        `${verdict(ratio <= GOAL.slowDetailP99OfNormal)} (${ratio.toFixed(2)}×)`,
    )
  }
  return lines
}
