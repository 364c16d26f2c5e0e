/**
 * Schemas of the actuator endpoints (./health.ts, ./http-metrics.ts): Spring Boot's health body, build info and
 * the Prometheus exposition, named for the OpenAPI document (./component.model.ts).
 */
import { t } from 'elysia'
import { component, exampleOf } from './component.model'

const HealthStatus = t.UnionEnum(['UP', 'DOWN'], { default: undefined })

export const HealthComponent = component(
  'HealthComponent',
  t.Object({
    status: HealthStatus,
    details: t.Optional(t.Record(t.String(), t.Unknown(), { description: 'What the check found' })),
  }),
  {
    description: 'The state of one dependency (db, redis, kafka, outbox, circuitBreakers, replicas)',
    example: { status: 'UP', details: { driver: 'bun:sqlite (WAL)' } },
  },
)

export const Health = component(
  'Health',
  t.Object({
    status: HealthStatus,
    components: t.Optional(
      t.Record(t.String(), HealthComponent, {
        description: 'Only for an ADMIN access token or the management token',
      }),
    ),
  }),
  {
    description: 'UP or DOWN (then with status 503); the components for admins and monitoring',
    example: {
      status: 'UP',
      components: {
        db: exampleOf(HealthComponent),
        kafka: { status: 'UP', details: { mode: 'in-process' } },
      },
    },
  },
)

export const ServiceInfo = component(
  'ServiceInfo',
  t.Object({
    name: t.String(),
    version: t.String(),
    git: t.Object({ commit: t.String({ description: 'The commit this build was made from' }) }),
    runtime: t.Object({ name: t.String(), version: t.String(), platform: t.String() }),
  }),
  {
    description: 'What is running: the build and the runtime',
    example: {
      name: 'marketplace',
      version: '0.1.0',
      git: { commit: 'd6f212d' },
      runtime: { name: 'bun', version: '1.4.5', platform: 'linux' },
    },
  },
)

export const PrometheusMetrics = component(
  'PrometheusMetrics',
  t.String({ description: 'Prometheus text exposition format' }),
  {
    description: 'Every metric of this instance in the Prometheus text exposition format (version 0.0.4)',
    example:
      '# HELP marketplace_orders_created_total Orders placed\n' +
      '# TYPE marketplace_orders_created_total counter\n' +
      'marketplace_orders_created_total 42\n',
  },
)
