/**
 * The container stack, checked without a Docker engine (none runs on the project's machines): docker-compose.yml
 * passes `docker-compose config`, every service the app needs is there, the app's environment passes the app's
 * own configuration schema, every address in it names a service of the file at the port that service listens on,
 * the load balancer, Prometheus and Grafana point at the right places, start order waits for health, and the
 * Dockerfile keeps its promises (pinned bases, numeric non-root user, the binary's own healthcheck).
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { installFromApt } from '../../scripts/apt-tools'
import { loadConfig } from '../../src/config'
import { PROJECT_ROOT } from '../support/paths'

type Service = {
  image?: string
  build?: unknown
  container_name?: string
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string | number>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  volumes?: string[]
  networks?: Record<string, { ipv4_address?: string }> | string[]
}

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8')
const compose = Bun.YAML.parse(read('docker-compose.yml')) as { services: Record<string, Service> }
const services = compose.services
const JWT_SECRET = 'compose-test-secret-that-is-long-enough-0123456789'

/** The Dockerfile's ENV (`KEY=value` pairs of its ENV instruction): what every container starts with. */
const IMAGE_ENV = Object.fromEntries(
  [...read('Dockerfile').matchAll(/^(?:ENV )?\s*([A-Z_]+)=([^\s\\]+)/gm)].map((m) => [m[1]!, m[2]!]),
)

/** The app's environment as the container gets it: the image's, then the service's (JWT_SECRET filled in). */
function appEnv(name: string): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(services[name]!.environment ?? {}).map(([key, value]) => [key, String(value)]),
  )
  return { ...IMAGE_ENV, ...env, JWT_SECRET }
}

/** Where a service listens: from its flags (sqld), its PORT (our image), or the image's known port. */
function listensOn(name: string): number[] {
  const service = services[name]!
  const flags = (service.command ?? []).join(' ')
  const fromFlags = [...flags.matchAll(/--(?:http|grpc)-listen-addr=[^:]+:(\d+)/g)].map((m) => Number(m[1]))
  if (fromFlags.length > 0) return fromFlags
  if (service.environment?.PORT) return [Number(service.environment.PORT)]
  const known: Record<string, number[]> = {
    redis: [6379],
    kafka: [Number(String(service.environment?.KAFKA_ADVERTISED_LISTENERS).split(':').at(-1))],
    jaeger: [4318, 16686],
    prometheus: [9090],
    'app-1': [8080],
    'app-2': [8080],
  }
  return known[name] ?? []
}

function expectAddress(url: string, what: string) {
  const { hostname, port } = new URL(url.includes('://') ? url : `tcp://${url}`)
  expect(Object.keys(services), `${what}: ${hostname} is not a service`).toContain(hostname)
  expect(listensOn(hostname), `${what}: ${hostname} does not listen on ${port}`).toContain(Number(port))
}

describe('docker-compose.yml', () => {
  test('passes docker-compose config', () => {
    if (!installFromApt('docker-compose', ['docker-compose'])) {
      throw new Error('docker-compose is missing: `sudo apt-get install docker-compose` (Debian), or pip')
    }
    const run = Bun.spawnSync(['docker-compose', '-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, JWT_SECRET },
    })
    expect(run.exitCode, run.stderr.toString()).toBe(0)
  })

  test('holds the whole stack, each container named marketplace-<service> (the guide’s docker exec works)', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'app-1',
        'app-2',
        'grafana',
        'jaeger',
        'kafka',
        'lb',
        'libsql',
        'libsql-replica',
        'payment-gateway',
        'prometheus',
        'recommendations',
        'redis',
      ].sort(),
    )
    for (const [name, service] of Object.entries(services)) {
      expect(service.container_name, name).toBe(`marketplace-${name}`)
      expect(service.image, `${name}: pinned to an exact tag`).toMatch(/:(v?\d+\.\d+\.\d+[\w.-]*|local)$/)
    }
  })

  test.each(['app-1', 'app-2'])(
    '%s: its environment passes the app’s configuration, every address a service',
    (name) => {
      const env = appEnv(name)
      const config = loadConfig(env)
      expect(config.database.mode).toBe('remote')
      expect(config.redis).toBeDefined()
      expect(config.kafka).toBeDefined()
      expect(config.tracing).toBeDefined()
      expect(config.dependencies.payment.url).toBeDefined()
      expect(config.dependencies.recommendation.url).toBeDefined()
      for (const key of [
        'DATABASE_URL',
        'DATABASE_REPLICA_URLS',
        'REDIS_URL',
        'KAFKA_BROKERS',
        'PAYMENT_URL',
        'RECOMMENDATION_URL',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      ]) {
        expectAddress(env[key]!, `${name} ${key}`)
      }
      // one secret for all instances (tokens from one are valid on the other)
      expect(services[name]!.environment!.JWT_SECRET).toBe(services['app-1']!.environment!.JWT_SECRET)
    },
  )

  test('the load balancer spreads over both instances, which believe only its X-Forwarded-For', () => {
    const nginx = read('deploy/nginx/nginx.conf')
    const upstream = [...nginx.matchAll(/^\s*server ([\w.-]+:\d+)/gm)].map((m) => m[1])
    expect(upstream).toEqual(['app-1:8080', 'app-2:8080'])
    for (const target of upstream) expectAddress(target!, 'nginx upstream')
    expect(nginx).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for')
    const networks = services.lb!.networks as Record<string, { ipv4_address?: string }>
    const address = networks.marketplace?.ipv4_address
    expect(address).toBeDefined()
    for (const app of ['app-1', 'app-2']) {
      expect(loadConfig(appEnv(app)).http.trustedProxies).toEqual([
        { address: address!, prefix: 32, family: 'ipv4' },
      ])
    }
  })

  test('start order waits for health: the apps for their dependencies, the balancer for the apps', () => {
    const waitsFor = (name: string) =>
      Object.entries(services[name]!.depends_on ?? {}).map(([dependency, { condition }]) => {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy')
        expect(services[dependency]!.healthcheck, `${dependency} has a healthcheck`).toBeDefined()
        return dependency
      })
    expect(waitsFor('app-1').sort()).toEqual(
      ['kafka', 'libsql', 'libsql-replica', 'payment-gateway', 'recommendations', 'redis'].sort(),
    )
    expect(waitsFor('app-2')).toEqual(['app-1'])
    expect(waitsFor('lb').sort()).toEqual(['app-1', 'app-2'])
    expect(waitsFor('libsql-replica')).toEqual(['libsql'])
    expect(services['app-1']!.healthcheck!.test).toEqual(['CMD', '/app/marketplace', 'healthcheck'])
    // only the first instance seeds the demo data
    expect(appEnv('app-1').SEED_DEMO_DATA).toBe('true')
    expect(appEnv('app-2').SEED_DEMO_DATA).toBe('false')
  })

  test('the sqld replica follows the primary’s gRPC port', () => {
    const flags = services['libsql-replica']!.command!.join(' ')
    const primary = flags.match(/--primary-grpc-url=(\S+)/)?.[1]
    expect(primary).toBeDefined()
    expectAddress(primary!, 'libsql-replica --primary-grpc-url')
  })

  test('Prometheus scrapes both instances with the repository’s rules; Grafana gets the datasource and dashboard', () => {
    const mounts = (name: string) =>
      Object.fromEntries(
        (services[name]!.volumes ?? [])
          .filter((volume) => volume.startsWith('./'))
          .map((volume) => {
            const [source, target] = volume.split(':')
            expect(existsSync(join(PROJECT_ROOT, source!)), `${name} mounts ${source}`).toBe(true)
            return [target!, source!]
          }),
      )
    expect(mounts('prometheus')).toEqual({
      '/etc/prometheus/prometheus.yml': './monitoring/prometheus.yml',
      '/etc/prometheus/rules': './monitoring/rules',
    })
    const prometheus = Bun.YAML.parse(read('monitoring/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[]
    }
    const targets = prometheus.scrape_configs.find((job) => job.job_name === 'marketplace')!
      .static_configs[0]!.targets
    expect(targets).toEqual(['app-1:8080', 'app-2:8080'])
    for (const target of targets) expectAddress(target, 'prometheus target')

    const grafana = mounts('grafana')
    expect(grafana['/etc/grafana/provisioning']).toBe('./monitoring/grafana/provisioning')
    const provider = Bun.YAML.parse(read('monitoring/grafana/provisioning/dashboards/marketplace.yml')) as {
      providers: { options: { path: string } }[]
    }
    expect(grafana[provider.providers[0]!.options.path]).toBe('./monitoring/grafana/dashboards')
    const datasource = Bun.YAML.parse(read('monitoring/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { url: string; uid: string }[]
    }
    expectAddress(datasource.datasources[0]!.url, 'grafana datasource')
    expect(services.grafana!.environment).toMatchObject({
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: 'admin123',
    })
  })
})

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile')

  test('bases pinned (exact version or digest); runs as a numeric non-root user; /data a volume', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!)
    expect(bases).toHaveLength(2)
    for (const base of bases) expect(base, base).toMatch(/(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$/)
    expect(dockerfile).toMatch(/^USER \d+:\d+$/m)
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m)
  })

  test('HEALTHCHECK runs the binary’s own healthcheck (there is no curl in the image)', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["\/app\/marketplace", "healthcheck"\]$/m)
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/marketplace"\]$/m)
  })
})
