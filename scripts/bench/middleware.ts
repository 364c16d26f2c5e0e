/**
 * The middleware group of `bun run bench` (issue #14): what the app's global stack costs one request. The route
 * is `GET /actuator/health/liveness` (no database, no auth, a two-field body), against the same route on a bare
 * Elysia (scripts/bench-bare-server.ts). Two app servers of their own, both with the defaults an operator gets:
 * LOG_LEVEL=info and ACCESS_LOG_SAMPLE_PERCENT=100 (one access-log line per request, written to the server's log
 * file), the RED histogram, the request id, security headers:
 * - tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT);
 * - tracing on, 10 % of traces kept (OTEL_TRACES_SAMPLER_ARG=0.1), exported to a real Jaeger pinned to the load
 *   CPU (the spans of the 90 % not kept are still created, as non-recording spans).
 * Goals: tracing off ≥ 85 % of the bare route; tracing on at 10 % ≥ 75 %. Next to them the contract's floor
 * (scripts/bench/contract-floor-server.ts): the bare route plus only the request id SPEC requires on every
 * answer, so the report shows how much of the gap is the contract and how much is our stack.
 */
import { join } from 'node:path'
import { type RunningJaeger, startJaeger } from '../jaeger'
import type { ScenarioSummary } from './report'
import type { Scenario } from './scenario'
import type { RunningServer } from './servers'

export const MIDDLEWARE_BARE = 'middleware: bare Elysia liveness route'
export const MIDDLEWARE_FLOOR = 'middleware: bare route + request id (the contract floor)'
export const MIDDLEWARE_UNTRACED = 'middleware: full stack, access log on, tracing off'
export const MIDDLEWARE_TRACED = 'middleware: full stack, access log on, tracing 10 %'
const LIVENESS = '/actuator/health/liveness'
const GOAL = { untraced: 0.85, traced: 0.75 }

export type MiddlewareTargets = { floor: string; untraced: string; traced: string }

export const MIDDLEWARE_SCENARIOS: Scenario[] = [
  { name: MIDDLEWARE_BARE, url: ({ bare }) => `${bare}${LIVENESS}` },
  { name: MIDDLEWARE_FLOOR, url: ({ middleware }) => `${middleware!.floor}${LIVENESS}` },
  { name: MIDDLEWARE_UNTRACED, url: ({ middleware }) => `${middleware!.untraced}${LIVENESS}` },
  { name: MIDDLEWARE_TRACED, url: ({ middleware }) => `${middleware!.traced}${LIVENESS}` },
]

/**
 * The floor server, the two app servers and the Jaeger the traced one sends to; started only when the group is
 * selected.
 */
export async function startMiddlewareServers(options: {
  dir: string
  loadCpu: string | undefined
  startApp: (name: string, env: Record<string, string>) => Promise<RunningServer>
  /** a server from a script (pinned like the app), answering 2xx on `readyPath` once ready */
  startScript: (name: string, script: string, readyPath: string) => Promise<RunningServer>
  onCleanup: (step: () => Promise<void>) => void
}): Promise<MiddlewareTargets> {
  const floor = await options.startScript(
    'contract-floor',
    'scripts/bench/contract-floor-server.ts',
    LIVENESS,
  )
  options.onCleanup(() => floor.stop())
  const jaeger: RunningJaeger = await startJaeger({ home: join(options.dir, 'jaeger'), cpu: options.loadCpu })
  options.onCleanup(() => jaeger.stop())
  const defaults = { LOG_LEVEL: 'info', ACCESS_LOG_SAMPLE_PERCENT: '100', OUTBOX_RELAY_ENABLED: 'false' }
  const untraced = await options.startApp('marketplace-untraced', defaults)
  options.onCleanup(() => untraced.stop())
  const traced = await options.startApp('marketplace-traced', {
    ...defaults,
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  })
  options.onCleanup(() => traced.stop())
  return { floor: floor.baseUrl, untraced: untraced.baseUrl, traced: traced.baseUrl }
}

export function reportMiddleware(summaries: ScenarioSummary[]): string[] {
  const find = (name: string) => summaries.find((s) => s.name === name)
  const bare = find(MIDDLEWARE_BARE)
  if (!bare) return []
  const lines: string[] = []
  const floor = find(MIDDLEWARE_FLOOR)
  if (floor) {
    const ratio = floor.requestsPerSecond / bare.requestsPerSecond
    lines.push(
      `middleware: the contract floor (the request id, nothing else) keeps ` +
        `${(ratio * 100).toFixed(1)} % of the bare route (p99 ${floor.p99Ms.toFixed(2)} vs ${bare.p99Ms.toFixed(2)} ms)`,
    )
  }
  for (const [name, goal] of [
    [MIDDLEWARE_UNTRACED, GOAL.untraced],
    [MIDDLEWARE_TRACED, GOAL.traced],
  ] as const) {
    const summary = find(name)
    if (!summary) continue
    const ratio = summary.requestsPerSecond / bare.requestsPerSecond
    lines.push(
      `${name} ≥ ${goal * 100} % of the bare route: ${ratio >= goal ? 'PASS' : 'FAIL'} ` +
        `(${(ratio * 100).toFixed(1)} %, p99 ${summary.p99Ms.toFixed(2)} vs ${bare.p99Ms.toFixed(2)} ms)`,
    )
  }
  return lines
}
