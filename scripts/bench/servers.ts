/** Child-process servers for the benchmark: free port, CPU pinning, readiness wait, orderly stop, log tail. */
import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'
import { freePort, stopProcess, untilAnswering } from '../service-processes'

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
  /** a fixed port (several instances on one port: SO_REUSEPORT); default: a free one (freePort) */
  port?: number
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
  try {
    await untilAnswering(`${baseUrl}${spec.readyPath}`, child, spec.name, {
      logFile: spec.logFile,
      timeoutMs: spec.timeoutMs,
    })
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logTail(spec.logFile)}`)
  }
  return { name: spec.name, baseUrl, logFile: spec.logFile, process: child, stop: () => stopProcess(child) }
}

/** The last `lines` of `file`, for an error message. */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
