/**
 * Actuator-style endpoints. `/actuator/health` answers `{status}` to everyone and adds `components` only for a
 * caller with `Authorization: Bearer <MANAGEMENT_TOKEN>` (monitoring, compared in constant time) or an ADMIN
 * access token. A loopback caller gets no more than anyone: behind a reverse proxy on the same box every client
 * is loopback, and the components name the infrastructure (driver, breaker states, backlog). Readiness is DOWN while starting or draining, so a load balancer
 * stops sending traffic before shutdown. DOWN answers 503. Readiness ignores the components the app serves without
 * (`notForReadiness`, e.g. redis, whose users fail open): an outage shared by every instance must not take them
 * all out of the load balancer.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import type { JwtCodec } from '../platform/auth/jwt'
import type { TokenBlacklist } from '../platform/auth/token-blacklist'
import { Health, ServiceInfo } from './actuator.model'
import { authenticate } from './auth'

export type HealthStatus = 'UP' | 'DOWN'
export type HealthComponent = { status: HealthStatus; details?: Record<string, unknown> }
export type HealthCheck = () => HealthComponent | Promise<HealthComponent>

export type Lifecycle = { isReady: boolean; isDraining: boolean }

/** SHA-256 of both sides makes them equal in length, so the comparison reveals neither content nor length. */
function isSameSecret(candidate: string, secretDigest: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(candidate).digest(), secretDigest)
}

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
  info: typeof ServiceInfo.static
  jwt: JwtCodec
  tokenBlacklist: TokenBlacklist
  /** shows the components to `Authorization: Bearer <token>`; unset: only ADMIN access tokens do */
  managementToken: string | undefined
}) {
  const readinessChecks = Object.fromEntries(
    Object.entries(deps.checks).filter(([name]) => !deps.notForReadiness?.includes(name)),
  )
  const managementDigest =
    deps.managementToken === undefined
      ? undefined
      : createHash('sha256').update(deps.managementToken).digest()
  const mayShowDetails = async (request: Request) => {
    const authorization = request.headers.get('authorization')
    if (!authorization) return false
    const bearer = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : ''
    if (managementDigest && isSameSecret(bearer, managementDigest)) return true
    const principal = await authenticate(authorization, deps.jwt, deps.tokenBlacklist).catch(() => undefined)
    return principal?.role === 'ADMIN'
  }

  return new Elysia({ name: 'actuator', prefix: '/actuator' })
    .get(
      '/health',
      async ({ request, set }) => {
        const { status, components } = await runChecks(deps.checks)
        set.status = status === 'UP' ? 200 : 503
        const showDetails = await mayShowDetails(request)
        return showDetails ? { status, components } : { status }
      },
      {
        response: { 200: Health, 503: Health },
        detail: {
          tags: ['Actuator'],
          summary: 'Health; components for admins and the management token',
          description:
            'Everyone gets `{status}` (503 when DOWN). `components` are added for an ADMIN access token or ' +
            "`Authorization: Bearer <MANAGEMENT_TOKEN>`, whatever the caller's address.",
        },
      },
    )
    .get('/health/liveness', () => ({ status: 'UP' as const }), {
      response: { 200: Health },
      detail: {
        tags: ['Actuator'],
        summary: 'The process is alive',
        description:
          'Always UP while the process answers: for a liveness probe, which restarts it otherwise.',
      },
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
        detail: {
          tags: ['Actuator'],
          summary: 'Ready for traffic (DOWN while starting or draining)',
          description:
            'For a load balancer: DOWN (503) while starting, while draining after SIGTERM, or when the database ' +
            '(or a replica) is down. Outages every instance shares (Redis, Kafka, open breakers, outbox backlog) do not count.',
        },
      },
    )
    .get('/info', () => deps.info, {
      response: { 200: ServiceInfo },
      detail: {
        tags: ['Actuator'],
        summary: 'Name, version, git commit, runtime',
        description: 'What build is running, and on which runtime.',
      },
    })
}
