/**
 * The remote dependencies of SPEC §7, wired once: each behind its Dependency policies (one breaker each, named in
 * health and metrics), at its configured URL or, without one, at a simulator this process starts on a free
 * loopback port (the embedded default: everything runs from one command). Several instances should share one
 * simulator instead (`bun run sim:payments`, `bun run sim:recommendations`): then a fault injected through one
 * instance's `POST /api/v1/admin/faults` breaks the dependency for all of them, as a real outage would.
 */
import { Gauge, type Registry } from 'prom-client'
import type { Config } from '../../config'
import { startPaymentGateway } from '../../simulators/payment-gateway'
import { type CatalogSource, startRecommendationService } from '../../simulators/recommendation-service'
import type { Simulator } from '../../simulators/sim-server'
import type { Metrics } from '../observability/metrics'
import type { CircuitBreakers } from '../resilience/circuit-breaker'
import { Dependency } from '../resilience/dependency'
import { PaymentGatewayClient } from './payment-gateway-client'
import { RecommendationClient } from './recommendation-client'

export const DEPENDENCY_NAMES = { payment: 'payment-gateway', recommendation: 'recommendations' } as const
export type DependencyKey = keyof typeof DEPENDENCY_NAMES

export type RemoteDependencies = {
  payments: PaymentGatewayClient
  recommendations: RecommendationClient
  /** each dependency's base URL (a simulator's when this process started one) */
  urls: Record<DependencyKey, string>
  /** the simulators this process started (none when both URLs are configured) */
  simulators: Partial<Record<DependencyKey, Simulator>>
  close(): Promise<void>
}

export async function openRemoteDependencies(
  config: Config['dependencies'],
  breakers: CircuitBreakers,
  metrics: Pick<Metrics, 'dependencyCalls' | 'registry'>,
  /** what the embedded recommendation simulator recommends from: the app's visible products */
  catalog: CatalogSource,
): Promise<RemoteDependencies> {
  const simulators: RemoteDependencies['simulators'] = {}
  simulators.payment = config.payment.url ? undefined : await startPaymentGateway()
  simulators.recommendation = config.recommendation.url
    ? undefined
    : await startRecommendationService(catalog)
  const urls = {
    payment: config.payment.url ?? simulators.payment!.url,
    recommendation: config.recommendation.url ?? simulators.recommendation!.url,
  }
  const dependency = (key: DependencyKey) =>
    new Dependency(DEPENDENCY_NAMES[key], config[key], breakers, metrics.dependencyCalls)
  const payment = dependency('payment')
  const recommendation = dependency('recommendation')
  registerBulkheadGauge(metrics.registry, [payment, recommendation])
  return {
    payments: new PaymentGatewayClient(urls.payment, payment),
    recommendations: new RecommendationClient(urls.recommendation, recommendation),
    urls,
    simulators,
    async close() {
      await Promise.all(Object.values(simulators).map((simulator) => simulator?.close()))
    },
  }
}

/** marketplace_dependency_bulkhead_calls{dependency,state}: calls in flight and waiting, read at scrape time. */
function registerBulkheadGauge(registry: Registry, dependencies: Dependency[]): void {
  new Gauge({
    name: 'marketplace_dependency_bulkhead_calls',
    help: 'Calls to a dependency holding a bulkhead slot (in_flight) or waiting for one (queued)',
    labelNames: ['dependency', 'state'] as const,
    registers: [registry],
    collect() {
      for (const dependency of dependencies) {
        const { inFlight, queued } = dependency.load()
        this.labels(dependency.name, 'in_flight').set(inFlight)
        this.labels(dependency.name, 'queued').set(queued)
      }
    },
  })
}
