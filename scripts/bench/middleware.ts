/**
 * The middleware group of `bun run bench` (issue #14): what the app's global stack costs one request. The route
 * is `GET /actuator/health/liveness` (no database, no auth, a two-field body), against the same route on a bare
 * Elysia (scripts/bench-bare-server.ts). Two app servers of their own, both with the defaults an operator gets:
 * LOG_LEVEL=info and ACCESS_LOG_SAMPLE_PERCENT=100 (one access-log line per request, written to the server's log
 * file), the RED histogram, the request id, security headers:
 * - tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT);
 * - tracing on, 10 % of traces kept (OTEL_TRACES_SAMPLER_ARG=0.1), exported to a real Jaeger pinned to the load
 *   CPU (the spans of the 90 % not kept are still created, as non-recording spans).
 * Goals: tracing off ≥ 85 % of the bare route; tracing on at 10 % ≥ 75 %.
 */
import { join } from 'node:path'
import { type RunningJaeger, startJaeger } from '../jaeger'
import type { ScenarioSummary } from './report'
import type { Scenario } from './scenario'
import type { RunningServer } from './servers'

export const MIDDLEWARE_BARE = 'middleware: bare Elysia liveness route'
export const MIDDLEWARE_UNTRACED = 'middleware: full stack, access log on, tracing off'
export const MIDDLEWARE_TRACED = 'middleware: full stack, access log on, tracing 10 %'
const LIVENESS = '/actuator/health/liveness'
const GOAL = { untraced: 0.85, traced: 0.75 }

export type MiddlewareTargets = { untraced: string; traced: string }

export const MIDDLEWARE_SCENARIOS: Scenario[] = [
  { name: MIDDLEWARE_BARE, url: ({ bare }) => `${bare}${LIVENESS}` },
  { name: MIDDLEWARE_UNTRACED, url: ({ middleware }) => `${middleware!.untraced}${LIVENESS}` },
  { name: MIDDLEWARE_TRACED, url: ({ middleware }) => `${middleware!.traced}${LIVENESS}` },
]

/** The two app servers and the Jaeger the traced one sends to; started only when the group is selected. */
export async function startMiddlewareServers(options: {
  dir: string
  loadCpu: string | undefined
  startApp: (name: string, env: Record<string, string>) => Promise<RunningServer>
  onCleanup: (step: () => Promise<void>) => void
}): Promise<MiddlewareTargets> {
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
  return { untraced: untraced.baseUrl, traced: traced.baseUrl }
}

export function reportMiddleware(summaries: ScenarioSummary[]): string[] {
  const find = (name: string) => summaries.find((s) => s.name === name)
  const bare = find(MIDDLEWARE_BARE)
  if (!bare) return []
  const lines: string[] = []
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
