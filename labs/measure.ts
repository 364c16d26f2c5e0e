/**
 * What the measuring labs share: percentiles of what they measured, sums of the app's own prom-client counters, a
 * simulator as a process of its own, and its fault injection and stats through its control API over HTTP
 * (src/simulators/sim-server.ts), as an operator or `POST /api/v1/admin/faults` changes it.
 */
import { join } from 'node:path'
import { freePort, stopProcess, untilAnswering } from '../scripts/service-processes'
import type { FaultMode, Faults } from '../src/simulators/faults'
import type { SimStats } from '../src/simulators/sim-server'
import type { SimulatorName } from '../src/simulators/standalone'

const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
/** how long a simulator process gets to exit on SIGTERM before SIGKILL */
const STOP_GRACE_MS = 3_000

/** The `p`-th percentile (0..100) of `values` in their unit, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Milliseconds rounded to a tenth, for a table. */
const roundedMs = (ms: number) => Math.round(ms * 10) / 10

/** The `p`-th percentile of `values` in milliseconds, rounded to a tenth, for a table. */
export const percentileMs = (values: readonly number[], p: number) => roundedMs(percentile(values, p))

/** A prom-client metric as `get()` reads it: its series, a histogram's named `…_bucket`, `…_sum`, `…_count`. */
type MetricSeries = {
  get(): Promise<{
    values: readonly { labels: Record<string, unknown>; value: number; metricName?: string }[]
  }>
}

/**
 * The sum of `metric`'s series whose labels include `labels` (other labels summed over); for a histogram,
 * `suffix` (`_count`, `_sum`) picks which of its series. Hot counters flush when read.
 */
export async function counterSum(
  metric: MetricSeries,
  labels: Record<string, string>,
  suffix?: string,
): Promise<number> {
  const { values } = await metric.get()
  return values
    .filter(
      (series) =>
        (suffix === undefined || (series.metricName?.endsWith(suffix) ?? false)) &&
        Object.entries(labels).every(([key, label]) => series.labels[key] === label),
    )
    .reduce((sum, series) => sum + series.value, 0)
}

/** PUT /__control/faults on the simulator at `baseUrl`; throws with the simulator's answer when refused. */
export async function injectFaults(
  baseUrl: string,
  faults: { mode?: FaultMode; failureRate?: number; latencyMs?: number },
): Promise<Faults> {
  const response = await fetch(`${baseUrl}/__control/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  })
  if (response.status !== 200) throw new Error(`faults ${JSON.stringify(faults)}: ${await response.text()}`)
  return (await response.json()) as Faults
}

/** GET /__control/stats: requests by fate, in flight now and at most, the simulator's own counters. */
export async function simulatorStats(baseUrl: string): Promise<SimStats> {
  const response = await fetch(`${baseUrl}/__control/stats`)
  if (response.status !== 200) throw new Error(`stats: ${response.status} ${await response.text()}`)
  return (await response.json()) as SimStats
}

/** POST /__control/stats/reset: the simulator's counts start again (most in flight: from those in flight now). */
export async function resetSimulatorStats(baseUrl: string): Promise<SimStats> {
  const response = await fetch(`${baseUrl}/__control/stats/reset`, { method: 'POST' })
  if (response.status !== 200) throw new Error(`stats reset: ${response.status} ${await response.text()}`)
  return (await response.json()) as SimStats
}

/**
 * `marketplace simulate <name>` as a child process on a free port, as a remote dependency runs: its URL once its
 * control API answers, and `stop` (SIGTERM, SIGKILL after 3 s). Started with this very bun (process.execPath),
 * so there is no other binary to find. Its output is not kept: `bun src/main.ts simulate <name>` shows it.
 */
export async function startSimulatorProcess(
  name: SimulatorName,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort()
  const url = `http://127.0.0.1:${port}`
  const child = Bun.spawn([process.execPath, MAIN, 'simulate', name], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  // stops the child itself when it exits early or never answers
  await untilAnswering(`${url}/__control/stats`, child, `the ${name} simulator (${MAIN} simulate ${name})`, {
    timeoutMs: 15_000,
    graceMs: STOP_GRACE_MS,
  })
  return { url, stop: () => stopProcess(child, STOP_GRACE_MS) }
}
