/** wrk: make sure it is installed, run it pinned to the load-generator CPU, parse its `--latency` report. */
import { installFromApt } from '../apt-tools'

export type WrkResult = {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  /**
   * responses outside 2xx/3xx ("Non-2xx or 3xx responses"), or, when the scenario's Lua script prints
   * "Non-201 responses: n", the answers other than 201 (a superset); 0 when neither line was printed
   */
  non2xx: number
  socketErrors: number
}

export type WrkOptions = {
  url: string
  seconds: number
  connections: number
  /** CPU list for `taskset -c`, or undefined to run unpinned */
  cpu: string | undefined
  headers?: Record<string, string>
  /** a wrk Lua script (e.g. for POST bodies) */
  script?: string
}

const running = new Set<ReturnType<typeof Bun.spawn>>()

/** Kills the wrk processes still running (for an interrupted benchmark). */
export function killRunningWrk(): void {
  for (const proc of running) proc.kill('SIGKILL')
}

/** wrk's path, installed with apt-get when missing and we may (apt-tools.ts); else throws how to install it. */
export function ensureWrk(): string {
  const found = installFromApt('wrk', ['wrk']) ? Bun.which('wrk') : null
  if (found) return found
  throw new Error('wrk is required: apt-get install -y wrk')
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const command = [
    'wrk',
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    ...(options.script ? ['-s', options.script] : []),
    options.url,
  ]
  const pinned = options.cpu === undefined ? command : ['taskset', '-c', options.cpu, ...command]
  const proc = Bun.spawn(pinned, { stdout: 'pipe', stderr: 'pipe' })
  running.add(proc)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]).finally(() => running.delete(proc))
  if (exitCode !== 0) throw new Error(`wrk exited with ${exitCode}: ${stderr || stdout}`)
  return parseWrk(stdout)
}

const UNIT_TO_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function durationMs(value: string, unit: string): number {
  const factor = UNIT_TO_MS[unit]
  if (factor === undefined) throw new Error(`unknown wrk time unit ${unit}`)
  return Number(value) * factor
}

/** Parses the report of `wrk --latency` (wrk 4.x). */
export function parseWrk(output: string): WrkResult {
  const fail = (what: string): never => {
    throw new Error(`could not find ${what} in wrk output:\n${output}`)
  }
  const rps = output.match(/^Requests\/sec:\s+([\d.]+)/m) ?? fail('Requests/sec')
  const percentile = (p: string) => {
    const m =
      output.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm')) ?? fail(`${p}% latency`)
    return durationMs(m[1]!, m[2]!)
  }
  const requests = output.match(/^\s+(\d+) requests in/m) ?? fail('the request count')
  const non2xx = output.match(/^\s+Non-2xx or 3xx responses:\s+(\d+)/m)
  const non201 = output.match(/^Non-201 responses: (\d+)/m)
  const socket = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(requests[1]),
    non2xx: Math.max(non2xx ? Number(non2xx[1]) : 0, non201 ? Number(non201[1]) : 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  }
}
