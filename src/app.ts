/**
 * createApp(deps): the whole HTTP surface. Cross-cutting plugins first (security headers, request id, problem
 * details, CORS, rate limit, declared body size, auth before body, body parsing, docs, health), then the feature
 * modules. Their order is their order on each request: CORS answers a preflight before the rate limit counts it,
 * an oversized declared body is refused before authentication, and a route's authentication runs before the body
 * parser reads a byte. No I/O here: tests build exactly this app.
 */
import { Elysia } from 'elysia'
import type { Deps } from './deps'
import { authBeforeBody, authGuard } from './http/auth'
import { bodyParsing, bodySizeLimit } from './http/body-parsing'
import { clientAddressResolver } from './http/client-address'
import { cors } from './http/cors'
import { actuator, type HealthCheck } from './http/health'
import { httpRequestObserver, prometheusEndpoint } from './http/http-metrics'
import { API_DOCUMENTATION, openApiDocs } from './http/openapi'
import { problemHandler } from './http/problem'
import { ipRateLimit, keyedRateLimit, memberRateLimit } from './http/rate-limit'
import { requestContext } from './http/request-context'
import { securityHeaders } from './http/security-headers'
import { httpTracing } from './http/tracing'
import { authRoutes } from './modules/auth/auth.routes'
import { categoriesRoutes } from './modules/catalog/categories.routes'
import { productsRoutes } from './modules/catalog/products.routes'
import { uploadedFiles } from './modules/catalog/uploads.routes'
import { faultsRoutes } from './modules/faults/faults.routes'
import { membersRoutes } from './modules/members/members.routes'
import { ordersRoutes } from './modules/orders/orders.routes'
import { outboxRoutes } from './modules/outbox/outbox.routes'
import { paymentsRoutes } from './modules/payments/payments.routes'
import { recommendationsRoutes } from './modules/recommendations/recommendations.routes'
import { DRIVER_OF_MODE, pingPrimary, pingReplicas } from './platform/db/connections'
import { createServices } from './services'

/** Multipart bodies are accepted on these paths only; everything else is JSON. */
export const MULTIPART_PATHS = /^\/api\/v1\/products\/[^/]+\/images\/?$/

/** The largest legal request: a full set of images plus multipart framing. Bun refuses anything larger. */
export function maxRequestBodyBytes(config: Deps['config']): number {
  return config.http.imageMaxBytes * config.http.maxImagesPerProduct + 1024 * 1024
}

function healthChecks({ config, database, redis, breakers, events }: Deps): Record<string, HealthCheck> {
  const checks: Record<string, HealthCheck> = {
    db: async () => ({
      status: (await pingPrimary(database)) ? 'UP' : 'DOWN',
      details: {
        driver: DRIVER_OF_MODE[database.mode],
        // how far behind the primary this instance's file may be: the time since its last completed sync
        ...(database.mode === 'embedded-replica' && { replicationLagMs: database.embedded.lagMs() }),
      },
    }),
  }
  if (database.replicas.length > 0) {
    checks.replicas = async () => {
      const { up, total } = await pingReplicas(database)
      return { status: up === total ? 'UP' : 'DOWN', details: { up, total } }
    }
  }
  // a real PING, past the breaker: health reports Redis itself, the breaker's state is shown next to it
  if (redis) checks.redis = async () => ({ status: 'UP', details: { latencyMs: await redis.ping() } })
  // a real probe of the broker (describeCluster), or UP with mode in-process for the embedded bus
  checks.kafka = () => events.publisher.probe()
  checks.outbox = async () => {
    const backlog = await events.relay.backlog()
    const isStuck = backlog.oldestPendingAgeSeconds > config.outbox.maxPendingAgeSeconds
    return { status: isStuck ? 'DOWN' : 'UP', details: { ...backlog, relay: events.relay.state } }
  }
  if (!breakers.isEmpty) {
    checks.circuitBreakers = () => {
      const states = breakers.states()
      const isAnyOpen = Object.values(states).some((state) => state === 'OPEN')
      return { status: isAnyOpen ? 'DOWN' : 'UP', details: states }
    }
  }
  return checks
}

export function createApp(deps: Deps) {
  const { config, logger } = deps
  const { auth, members, categories, products, images, orders, outbox, recommendations, faults, payments } =
    createServices(deps)
  const guard = authGuard(deps)
  const clientAddressOf = clientAddressResolver(config.http.trustedProxies)
  const bodyLimits = {
    jsonBytes: config.http.bodyLimitBytes,
    multipartBytes: maxRequestBodyBytes(config),
    multipartPaths: MULTIPART_PATHS,
  }

  const app = new Elysia({ name: 'marketplace' })
  return app
    .use(httpTracing())
    .use(securityHeaders())
    .use(requestContext(deps.accessLog, httpRequestObserver(deps.metrics), config.accessLog))
    .use(prometheusEndpoint(deps.metrics))
    .use(problemHandler(logger, () => app.routes))
    .use(cors(config.http.corsOrigins))
    .use(ipRateLimit(deps.rateLimiters.ip, deps.metrics.rateLimitRejections, clientAddressOf))
    .use(bodySizeLimit(bodyLimits))
    .use(authBeforeBody(() => app.routes))
    .use(bodyParsing(bodyLimits))
    .use(
      openApiDocs({
        version: deps.info.version,
        root: () => app,
        documentation: API_DOCUMENTATION,
      }),
    )
    .use(
      actuator({
        checks: healthChecks(deps),
        // a broker outage or a backlog is shared by every instance: none may leave the load balancer for it
        notForReadiness: ['redis', 'circuitBreakers', 'kafka', 'outbox'],
        lifecycle: deps.lifecycle,
        info: deps.info,
        jwt: deps.jwt,
        tokenBlacklist: deps.tokenBlacklist,
        managementToken: config.managementToken,
      }),
    )
    .use(
      authRoutes(
        guard,
        auth,
        keyedRateLimit(deps.rateLimiters.signup, 'signup', deps.metrics.rateLimitRejections),
        clientAddressOf,
      ),
    )
    .use(membersRoutes(guard, members))
    .use(categoriesRoutes(guard, categories))
    .use(recommendationsRoutes(guard, recommendations))
    .use(productsRoutes(guard, products, images))
    .use(
      ordersRoutes(
        guard,
        orders,
        memberRateLimit(deps.rateLimiters.orders, 'orders', deps.metrics.rateLimitRejections),
      ),
    )
    .use(paymentsRoutes(guard, payments))
    .use(outboxRoutes(guard, outbox))
    .use(faultsRoutes(guard, faults))
    .use(uploadedFiles(config.uploadDir))
}

export type App = ReturnType<typeof createApp>
