/**
 * Helm v3 for the chart's checks (`helm lint`, `helm template`: test/platform/helm.test.ts). Found through
 * HELM_BIN, then ../shared/bin/helm, then PATH, then `.tools/bin/helm`; otherwise built there from the Go module
 * proxy (`go install helm.sh/helm/v3/cmd/helm@v3.22.0`, a few minutes on 2 cores, once per machine). Without Go
 * either, a loud error saying how to get it.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { findBinary } from './service-processes'

export const HELM_VERSION = 'v3.22.0'
const TOOLS_BIN = join(import.meta.dir, '..', '.tools', 'bin')

export const HELM_HOW_TO_GET =
  'set HELM_BIN, put helm v3 on PATH, or install Go so that it can be built ' +
  `(go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION})`

export function findHelm(env: Record<string, string | undefined> = process.env): string {
  return findBinary({ name: 'helm', envVar: 'HELM_BIN', howToGet: HELM_HOW_TO_GET, env, fallback: builtHelm })
}

/** `.tools/bin/helm`, built there first when Go is at hand; undefined without Go. */
function builtHelm(): string | undefined {
  const built = join(TOOLS_BIN, 'helm')
  if (existsSync(built)) return built
  const go = Bun.which('go')
  if (!go) return undefined
  mkdirSync(TOOLS_BIN, { recursive: true })
  console.error(`helm is missing: building helm ${HELM_VERSION} into ${TOOLS_BIN} (a few minutes, once)`)
  const build = Bun.spawnSync([go, 'install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    env: { ...process.env, GOBIN: TOOLS_BIN, CGO_ENABLED: '0' },
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if (!build.success || !existsSync(built)) throw new Error(`go install helm ${HELM_VERSION} failed`)
  return built
}

/** Runs helm; resolves with stdout, throws with its output when it fails. */
export function helm(...args: string[]): string {
  const run = Bun.spawnSync([findHelm(), ...args])
  if (!run.success) throw new Error(`helm ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`)
  return run.stdout.toString()
}

if (import.meta.main) console.log(findHelm())
