/**
 * What the throwaway services and tools (scripts/redis-server.ts, kafka-broker.ts, sqld.ts, jaeger.ts,
 * prometheus.ts, the bench's and the load runner's servers) share: the folder they live in, their pid files,
 * finding their binaries, free ports, waiting until they answer, a graceful stop, and an immediate one for exit
 * paths that cannot wait.
 */

import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'

export const SERVICES_DIR = join(import.meta.dir, '..', '.services')

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The pid in `pidFile` when that process is still running. */
export function livePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
}

/** SIGTERM the process in `pidFile`, SIGKILL it if it is still there after `graceMs`, then drop the pid file. */
export async function stopPid(pidFile: string, graceMs: number): Promise<void> {
  const pid = livePid(pidFile)
  if (pid) {
    process.kill(pid, 'SIGCONT') // a frozen process (SIGSTOP) would never act on the SIGTERM
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + graceMs
    while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(50)
    if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 100 && isAlive(pid); i++) await Bun.sleep(10)
  }
  rmSync(pidFile, { force: true })
}

/**
 * SIGKILL the process in `pidFile` at once, synchronously: for signal handlers and exit paths, where nothing
 * awaited runs any more. With `commandIncludes`, only a process whose command line contains it (a pid file left
 * by a dead run may name a pid the system has since given to something else).
 */
export function killPidNow(pidFile: string, commandIncludes?: string): void {
  const pid = livePid(pidFile)
  if (pid && (!commandIncludes || commandLineOf(pid).includes(commandIncludes))) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  rmSync(pidFile, { force: true })
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range: a server that is stopped and started again on it
 * (a test taking Kafka down) cannot find it taken by some client's outgoing connection, or connect to itself.
 */
export function freePort(): number {
  const rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'
  const ephemeralLow = existsSync(rangeFile)
    ? Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0])
    : 32768
  const [low, high] = ephemeralLow > 11_000 ? [10_000, ephemeralLow] : [ephemeralLow, 65_536]
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low))
    try {
      Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } }).stop(true)
      return port
    } catch {}
  }
  throw new Error(`no free port found on 127.0.0.1 between ${low} and ${high}`)
}

/** One readiness probe's limit: a listener that accepts but never answers must not outlast the deadline. */
const ATTEMPT_TIMEOUT_MS = 500

/**
 * Resolves once `url` answers 2xx. When `child` exits (or is killed) first, or nothing answers within
 * `timeoutMs`, stops `child` (stopProcess with `graceMs`) and throws, pointing at `logFile` when there is one:
 * a caller that gets an error has no process left to stop.
 */
export async function untilAnswering(
  url: string,
  child: Subprocess,
  name: string,
  options: { logFile?: string; timeoutMs?: number; graceMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const seeLog = options.logFile ? `: see ${options.logFile}` : ''
  const deadline = Date.now() + timeoutMs
  const isAnswering = () =>
    fetch(url, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) }).then(
      (response) => response.ok,
      () => false,
    )
  while (!(await isAnswering())) {
    const exit = child.exitCode ?? child.signalCode
    const failure =
      exit !== null
        ? `${name} exited (${exit})${seeLog}`
        : Date.now() > deadline
          ? `${name} on ${url} did not answer within ${timeoutMs / 1000} s${seeLog}`
          : undefined
    if (failure) {
      await stopProcess(child, options.graceMs)
      throw new Error(failure)
    }
    await Bun.sleep(100)
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopProcess(child: Subprocess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(graceMs).then(() => false)])
  if (!exited) {
    child.kill('SIGKILL')
    await child.exited
  }
}

/**
 * A tool's binary: `envVar` when set (one naming nothing is an error, not a quiet fall back to another binary:
 * whoever set it meant that one), else ../shared/bin/`name` next to the project, else `name` on env.PATH, else
 * what `fallback` finds (a tool built or installed on the spot). None: an error saying `howToGet`.
 */
export function findBinary(options: {
  name: string
  envVar: string
  howToGet: string
  env?: Record<string, string | undefined>
  fallback?: () => string | undefined
}): string {
  const { name, envVar, howToGet, env = process.env } = options
  const PATH = env.PATH ?? ''
  const configured = env[envVar]
  if (configured) {
    const found = Bun.which(configured, { PATH })
    if (found) return found
    const problem = existsSync(configured) ? 'is not an executable' : 'does not exist'
    throw new Error(`${name}: ${envVar}=${configured} ${problem}; ${howToGet}`)
  }
  const shared = resolve(import.meta.dir, '..', '..', 'shared', 'bin', name)
  const found = Bun.which(shared, { PATH }) ?? Bun.which(name, { PATH }) ?? options.fallback?.()
  if (!found) throw new Error(`${name} is not installed: ${howToGet}`)
  return found
}
