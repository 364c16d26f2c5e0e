/**
 * What the resilience labs (breaker, bulkhead) share: latency percentiles of what they measured, a simulator as a
 * process of its own, and its fault injection and stats through its control API over HTTP
 * (src/simulators/sim-server.ts), as an operator or `POST /api/v1/admin/faults` changes it.
 */
import { join } from 'node:path'
import type { FaultMode, Faults } from '../src/simulators/faults'
import type { SimStats } from '../src/simulators/sim-server'
import type { SimulatorName } from '../src/simulators/standalone'

const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')

/** The `p`-th percentile (0..100) of `values` in their unit, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
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

/** Milliseconds rounded to a tenth, for a table. */
export const roundedMs = (ms: number) => Math.round(ms * 10) / 10

/**
 * `marketplace simulate <name>` as a child process on a free port (PORT=0), as a remote dependency runs: its URL
 * once it listens, and `stop` (SIGTERM, SIGKILL after 3 s). Started with this very bun (process.execPath), so
 * there is no other binary to find.
 */
export async function startSimulatorProcess(
  name: SimulatorName,
): Promise<{ url: string; stop(): Promise<void> }> {
  const child = Bun.spawn([process.execPath, MAIN, 'simulate', name], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const stop = async () => {
    child.kill('SIGTERM')
    const hasExited = await Promise.race([child.exited.then(() => true), Bun.sleep(3_000).then(() => false)])
    if (!hasExited) child.kill('SIGKILL')
  }
  const listening = /on (http:\/\/[\d.]+:\d+)/
  const reader = child.stdout.getReader()
  let printed = ''
  const deadline = Date.now() + 15_000
  while (!listening.test(printed)) {
    const next = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now()))])
    if (!next || next.done) {
      await stop()
      const stderr = await new Response(child.stderr).text()
      throw new Error(`the ${name} simulator did not start (${MAIN} simulate ${name}): ${printed}${stderr}`)
    }
    printed += new TextDecoder().decode(next.value)
  }
  reader.releaseLock()
  return { url: listening.exec(printed)![1]!, stop }
}
