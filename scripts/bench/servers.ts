/** Child-process servers for the benchmark: free port, CPU pinning, readiness wait, orderly stop, log tail. */
import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'
import { stopProcess } from '../service-processes'

export type RunningServer = {
  name: string
  baseUrl: string
  logFile: string
  process: Subprocess
  stop(): Promise<void>
}

export type ServerSpec = {
  name: string
  /** arguments after the bun executable, e.g. ['src/main.ts'] */
  args: string[]
  env: Record<string, string>
  /** a path answering 2xx once the server is ready */
  readyPath: string
  cpu: string | undefined
  logFile: string
  cwd: string
  timeoutMs?: number
  /** a fixed port (several instances on one port: SO_REUSEPORT); default: a free one */
  port?: number
}

/** A port nobody listens on right now (the kernel picks it; a tiny race before the child binds it). */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = spec.port ?? freePort()
  const command = [process.execPath, ...spec.args]
  const child = Bun.spawn(spec.cpu === undefined ? command : ['taskset', '-c', spec.cpu, ...command], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, PORT: String(port) },
    stdin: 'ignore',
    stdout: Bun.file(spec.logFile),
    stderr: Bun.file(spec.logFile),
  })
  const baseUrl = `http://127.0.0.1:${port}`
  const server: RunningServer = {
    name: spec.name,
    baseUrl,
    logFile: spec.logFile,
    process: child,
    stop: () => stopProcess(child),
  }
  const deadline = Date.now() + (spec.timeoutMs ?? 30_000)
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${spec.name} exited during startup (${child.exitCode ?? child.signalCode}):\n${logTail(spec.logFile)}`,
      )
    }
    try {
      const response = await fetch(`${baseUrl}${spec.readyPath}`)
      if (response.ok) return server
    } catch {
      // not listening yet
    }
    await Bun.sleep(100)
  }
  await server.stop()
  throw new Error(
    `${spec.name} was not ready within ${spec.timeoutMs ?? 30_000} ms:\n${logTail(spec.logFile)}`,
  )
}

/** SIGTERM (graceful drain), then SIGKILL if it has not exited within `graceMs`. */

export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
