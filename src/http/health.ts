/**
 * Actuator-style endpoints. `/actuator/health` answers `{status}` to everyone and adds `components` for admins
 * and loopback callers (operators on the box); readiness is DOWN while starting or draining, so a load balancer
 * stops sending traffic before shutdown. DOWN answers 503. Readiness ignores the components the app serves without
 * (`notForReadiness`, e.g. redis, whose users fail open): an outage shared by every instance must not take them
 * all out of the load balancer.
 */
import { Elysia, t } from 'elysia'
import type { JwtCodec } from '../platform/auth/jwt'
import type { TokenBlacklist } from '../platform/auth/token-blacklist'
import { authenticate } from './auth'

export type HealthStatus = 'UP' | 'DOWN'
export type HealthComponent = { status: HealthStatus; details?: Record<string, unknown> }
export type HealthCheck = () => HealthComponent | Promise<HealthComponent>

export type Lifecycle = { isReady: boolean; isDraining: boolean }

const Component = t.Object({
  status: t.UnionEnum(['UP', 'DOWN']),
  details: t.Optional(t.Record(t.String(), t.Unknown())),
})
const Health = t.Object({
  status: t.UnionEnum(['UP', 'DOWN']),
  components: t.Optional(t.Record(t.String(), Component)),
})
const Info = t.Object({
  name: t.String(),
  version: t.String(),
  git: t.Object({ commit: t.String() }),
  runtime: t.Object({ name: t.String(), version: t.String(), platform: t.String() }),
})

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

async function runChecks(checks: Record<string, HealthCheck>) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, HealthComponent]> => {
      try {
        return [name, await check()]
      } catch (error) {
        return [
          name,
          { status: 'DOWN', details: { error: error instanceof Error ? error.message : 'failed' } },
        ]
      }
    }),
  )
  const components = Object.fromEntries(entries)
  const status: HealthStatus = entries.every(([, c]) => c.status === 'UP') ? 'UP' : 'DOWN'
  return { status, components }
}

export function actuator(deps: {
  checks: Record<string, HealthCheck>
  /** components shown by /health but not required for readiness */
  notForReadiness?: readonly string[]
  lifecycle: Lifecycle
  info: typeof Info.static
  jwt: JwtCodec
  tokenBlacklist: TokenBlacklist
}) {
  const readinessChecks = Object.fromEntries(
    Object.entries(deps.checks).filter(([name]) => !deps.notForReadiness?.includes(name)),
  )
  const mayShowDetails = async (request: Request, ip: string | undefined) => {
    if (ip && LOOPBACK.has(ip)) return true
    const authorization = request.headers.get('authorization')
    if (!authorization) return false
    const principal = await authenticate(authorization, deps.jwt, deps.tokenBlacklist).catch(() => undefined)
    return principal?.role === 'ADMIN'
  }

  return new Elysia({ name: 'actuator', prefix: '/actuator' })
    .get(
      '/health',
      async ({ request, server, set }) => {
        const { status, components } = await runChecks(deps.checks)
        set.status = status === 'UP' ? 200 : 503
        const showDetails = await mayShowDetails(request, server?.requestIP(request)?.address)
        return showDetails ? { status, components } : { status }
      },
      {
        response: { 200: Health, 503: Health },
        detail: { tags: ['Actuator'], summary: 'Health; components for admins and loopback callers' },
      },
    )
    .get('/health/liveness', () => ({ status: 'UP' as const }), {
      response: { 200: Health },
      detail: { tags: ['Actuator'], summary: 'The process is alive' },
    })
    .get(
      '/health/readiness',
      async ({ set }) => {
        const { lifecycle } = deps
        const isDbUp =
          lifecycle.isReady && !lifecycle.isDraining && (await runChecks(readinessChecks)).status === 'UP'
        set.status = isDbUp ? 200 : 503
        return { status: isDbUp ? ('UP' as const) : ('DOWN' as const) }
      },
      {
        response: { 200: Health, 503: Health },
        detail: { tags: ['Actuator'], summary: 'Ready for traffic (DOWN while starting or draining)' },
      },
    )
    .get('/info', () => deps.info, {
      response: { 200: Info },
      detail: { tags: ['Actuator'], summary: 'Name, version, git commit, runtime' },
    })
}
