/**
 * A real Prometheus next to the app, with the repository's own configuration and alert rules (monitoring/):
 * `bun run prometheus [host:port …]` scrapes the given app instances (default 127.0.0.1:8080) and serves its UI on
 * http://127.0.0.1:9090 (PROMETHEUS_PORT), until Ctrl-C. The tests start it the same way (startPrometheus).
 * The configuration is monitoring/prometheus.yml with the `marketplace` job's targets replaced, the rule files
 * made absolute, and optionally a faster scrape; nothing else changes, so what is tested is what ships.
 * Binaries: PROMETHEUS_BIN / PROMTOOL_BIN, then ../shared/bin, then PATH; installed with apt-get (Debian's
 * `prometheus` package brings both) when missing and we may; otherwise a loud error saying how to get them.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { installFromApt } from './apt-tools'
import { findBinary, freePort, stopProcess, untilAnswering } from './service-processes'

export const MONITORING_DIR = join(import.meta.dir, '..', 'monitoring')
export const PROMETHEUS_CONFIG = join(MONITORING_DIR, 'prometheus.yml')
export const PROMETHEUS_HOW_TO_GET =
  'install it (Debian/Ubuntu: `sudo apt-get install prometheus`, which brings promtool too; elsewhere the ' +
  'release archive from prometheus.io), or point PROMETHEUS_BIN and PROMTOOL_BIN at the binaries'

type Tool = 'prometheus' | 'promtool'

/** The binary's path: PROMETHEUS_BIN / PROMTOOL_BIN, ../shared/bin, PATH, or apt-get; else throws how to get it. */
export function findPrometheusTool(
  tool: Tool,
  env: Record<string, string | undefined> = process.env,
): string {
  return findBinary({
    name: tool,
    envVar: tool === 'prometheus' ? 'PROMETHEUS_BIN' : 'PROMTOOL_BIN',
    howToGet: PROMETHEUS_HOW_TO_GET,
    env,
    fallback: () =>
      installFromApt('prometheus', ['prometheus', 'promtool'])
        ? (Bun.which(tool, { PATH: env.PATH ?? '' }) ?? undefined)
        : undefined,
  })
}

/** Runs promtool; resolves with its output, throws with it when promtool fails. */
export function promtool(...args: string[]): string {
  const result = Bun.spawnSync([findPrometheusTool('promtool'), ...args], { cwd: MONITORING_DIR })
  const output = `${result.stdout.toString()}${result.stderr.toString()}`
  if (!result.success) throw new Error(`promtool ${args.join(' ')} failed:\n${output}`)
  return output
}

type ScrapeConfig = { job_name: string; static_configs?: { targets: string[] }[]; [key: string]: unknown }
type PrometheusConfig = {
  global?: Record<string, unknown>
  rule_files?: string[]
  scrape_configs: ScrapeConfig[]
}

/** monitoring/prometheus.yml with the app's targets, absolute rule files and, if given, a faster scrape. */
export function prometheusConfigFor(
  targets: string[],
  options: { selfAddress: string; scrapeIntervalSeconds?: number },
): PrometheusConfig {
  const config = Bun.YAML.parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as PrometheusConfig
  const app = config.scrape_configs.find((job) => job.job_name === 'marketplace')
  const self = config.scrape_configs.find((job) => job.job_name === 'prometheus')
  if (!app || !self) throw new Error(`${PROMETHEUS_CONFIG}: the jobs marketplace and prometheus are expected`)
  app.static_configs = [{ targets }]
  self.static_configs = [{ targets: [options.selfAddress] }]
  config.rule_files = (config.rule_files ?? []).map((file) => resolve(dirname(PROMETHEUS_CONFIG), file))
  if (options.scrapeIntervalSeconds) {
    const interval = `${options.scrapeIntervalSeconds}s`
    config.global = { ...config.global, scrape_interval: interval, evaluation_interval: interval }
    config.global.scrape_timeout = interval
  }
  return config
}

export type RunningPrometheus = { url: string; stop(): Promise<void> }

/** Starts Prometheus on 127.0.0.1 with its data and log in `home`; resolves once it is ready. */
export async function startPrometheus(options: {
  home: string
  targets: string[]
  port?: number
  scrapeIntervalSeconds?: number
}): Promise<RunningPrometheus> {
  const binary = findPrometheusTool('prometheus')
  mkdirSync(options.home, { recursive: true })
  const port = options.port ?? freePort()
  const address = `127.0.0.1:${port}`
  const configFile = join(options.home, 'prometheus.json') // JSON is YAML: Prometheus reads it as is
  const config = prometheusConfigFor(options.targets, {
    selfAddress: address,
    scrapeIntervalSeconds: options.scrapeIntervalSeconds,
  })
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  const logFile = join(options.home, 'prometheus.log')
  const log = openSync(logFile, 'a')
  const child = Bun.spawn(
    [
      binary,
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.home, 'data')}`,
      `--web.listen-address=${address}`,
    ],
    { stdio: ['ignore', log, log] },
  )
  closeSync(log)
  const url = `http://${address}`
  await untilAnswering(`${url}/-/ready`, child, 'prometheus', { logFile, graceMs: 3_000 })
  return {
    url,
    stop: () => stopProcess(child, 3_000),
  }
}

export type PromSample = { metric: Record<string, string>; value: [number, string] }

/** An instant query through the HTTP API; throws on a query Prometheus refuses (a parse error, a bad name). */
export async function queryPrometheus(url: string, expr: string): Promise<PromSample[]> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
  const body = (await response.json()) as {
    status: string
    error?: string
    data?: { resultType: string; result: PromSample[] | [number, string] }
  }
  if (body.status !== 'success' || !body.data) throw new Error(`query refused: ${body.error}\n${expr}`)
  // a scalar answers one value; make it a one-sample vector
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }]
  return body.data.result as PromSample[]
}

if (import.meta.main) {
  const targets = process.argv.slice(2)
  const port = Number(process.env.PROMETHEUS_PORT ?? 9090)
  const prometheus = await startPrometheus({
    home: join(import.meta.dir, '..', '.services', 'prometheus'),
    targets: targets.length > 0 ? targets : ['127.0.0.1:8080'],
    port,
  })
  console.log(`Prometheus on ${prometheus.url} (alerts: ${prometheus.url}/alerts); Ctrl-C stops it`)
  const stop = () => void prometheus.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
