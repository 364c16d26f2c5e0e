/**
 * The Helm chart (deploy/helm/marketplace), checked with a real Helm v3 (scripts/helm.ts): `helm lint`, and the
 * manifests `helm template` renders — probes on the actuator endpoints, a termination grace that covers the app's
 * own drain, the autoscaler and disruption budget, scrape annotations, checksums that roll the pods on a changed
 * setting or secret, and an environment the app's own configuration schema accepts.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { helm } from '../../scripts/helm'
import { loadConfig } from '../../src/config'
import { PROJECT_ROOT } from '../support/paths'

const CHART = join(PROJECT_ROOT, 'deploy', 'helm', 'marketplace')
const SECRET = ['--set', 'secrets.JWT_SECRET=helm-test-secret-that-is-long-enough-0123456789']

type Manifest = {
  kind: string
  metadata: { name: string; annotations?: Record<string, string> }
  [key: string]: any
}

function render(...args: string[]): Manifest[] {
  return helm('template', 'shop', CHART, ...args)
    .split(/^---$/m)
    .map((document) => Bun.YAML.parse(document) as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null && typeof manifest === 'object')
}

const byKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind)

/** The chart rendered with its default values and a JWT secret, shared by the tests that only read it. */
let manifests: Manifest[]

beforeAll(() => {
  helm('version') // builds helm once when it is missing (minutes)
  manifests = render(...SECRET)
}, 900_000)

describe('deploy/helm/marketplace', () => {
  test('helm lint passes', () => {
    expect(helm('lint', CHART, ...SECRET)).toContain('0 chart(s) failed')
  })

  test('renders a Deployment, Service, ConfigMap, Secret, HPA and PodDisruptionBudget', () => {
    const kinds = manifests.map((m) => m.kind)
    expect(kinds.sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Secret',
        'Service',
      ].sort(),
    )
  })

  test('the pods: actuator probes, a grace that covers the drain, non-root, scrape annotations', () => {
    const [deployment] = byKind(manifests, 'Deployment')
    const pod = deployment!.spec.template
    const container = pod.spec.containers[0]
    expect(container.readinessProbe.httpGet.path).toBe('/actuator/health/readiness')
    expect(container.livenessProbe.httpGet.path).toBe('/actuator/health/liveness')
    const [configMap] = byKind(manifests, 'ConfigMap')
    const drainAndGraceSeconds =
      (Number(configMap!.data.SHUTDOWN_DRAIN_DELAY_MS) + Number(configMap!.data.SHUTDOWN_GRACE_MS)) / 1000
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(drainAndGraceSeconds)
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 })
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true)
    // the binary writes libSQL's native module to TMPDIR: a writable /tmp
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp')
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/actuator/prometheus',
    })
    const [hpa] = byKind(manifests, 'HorizontalPodAutoscaler')
    expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(2)
    const [pdb] = byKind(manifests, 'PodDisruptionBudget')
    expect(pdb!.spec.minAvailable).toBe(1)
  })

  test('the ConfigMap and Secret make an environment the app accepts', () => {
    const [configMap] = byKind(manifests, 'ConfigMap')
    const [secret] = byKind(manifests, 'Secret')
    const [deployment] = byKind(manifests, 'Deployment')
    const container = deployment!.spec.template.spec.containers[0]
    const fixed = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    )
    const config = loadConfig({ ...configMap!.data, ...secret!.stringData, ...fixed })
    expect(config.database.mode).toBe('remote')
    expect(config.redis).toBeDefined()
    expect(config.kafka).toBeDefined()
    expect(config.http.trustedProxies.length).toBeGreaterThan(0)
  })

  test('a changed setting or JWT secret rolls the pods (checksums of the ConfigMap and Secret)', () => {
    const checksums = (rendered: Manifest[]) => {
      const annotations = byKind(rendered, 'Deployment')[0]!.spec.template.metadata.annotations
      return { config: annotations['checksum/config'], secret: annotations['checksum/secret'] }
    }
    const before = checksums(manifests)
    expect(before.config).toMatch(/^[0-9a-f]{64}$/)
    expect(before.secret).toMatch(/^[0-9a-f]{64}$/)
    const newSecret = checksums(
      render('--set', 'secrets.JWT_SECRET=another-helm-test-secret-long-enough-98765'),
    )
    expect(newSecret.secret).not.toBe(before.secret)
    expect(newSecret.config).toBe(before.config)
    const newSetting = checksums(render(...SECRET, '--set', 'config.LOG_LEVEL=debug'))
    expect(newSetting.config).not.toBe(before.config)
    expect(newSetting.secret).toBe(before.secret)
  })

  test('without a JWT secret it refuses to render, saying which value is needed', () => {
    expect(() => render()).toThrow(/secrets\.JWT_SECRET/)
  })

  test('an existing Secret replaces the chart’s; autoscaling off sets the replica count', () => {
    const rendered = render('--set', 'existingSecret=shop-secrets', '--set', 'autoscaling.enabled=false')
    expect(byKind(rendered, 'Secret')).toEqual([])
    expect(byKind(rendered, 'HorizontalPodAutoscaler')).toEqual([])
    const [deployment] = byKind(rendered, 'Deployment')
    expect(deployment!.spec.replicas).toBe(2)
    // the chart cannot see a Secret of yours: no checksum that would never change
    expect(deployment!.spec.template.metadata.annotations).not.toHaveProperty('checksum/secret')
    const refs = deployment!.spec.template.spec.containers[0].envFrom
    expect(refs).toContainEqual({ secretRef: { name: 'shop-secrets' } })
  })
})
