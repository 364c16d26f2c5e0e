/**
 * A real Jaeger v2 (OTLP in, query API and UI out) next to the app: `bun run jaeger` runs it with the UI on
 * http://127.0.0.1:16686 and OTLP/HTTP on :4318 (JAEGER_UI_PORT, JAEGER_OTLP_PORT), traces in memory, until
 * Ctrl-C; start the app with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318. The tests start it the same way
 * (startJaeger) on free ports. Binary: JAEGER_BIN, then ../shared/bin/jaeger (next to the project), then PATH;
 * otherwise a loud error saying how to get it.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findBinary, freePort, stopProcess, untilAnswering } from './service-processes'

export const JAEGER_HOW_TO_GET =
  'set JAEGER_BIN to a Jaeger v2 binary, put one at ../shared/bin/jaeger or on PATH. To build it (≈ 20 min on ' +
  '2 cores): in an empty Go module, `go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0` then ' +
  '`go build -o jaeger github.com/jaegertracing/jaeger/cmd/jaeger`; or run the image `jaegertracing/jaeger` (2.x)'

export function findJaeger(env: Record<string, string | undefined> = process.env): string {
  return findBinary({ name: 'jaeger', envVar: 'JAEGER_BIN', howToGet: JAEGER_HOW_TO_GET, env })
}

/** Jaeger's all-in-one pieces, trimmed to what we use: OTLP/HTTP in, memory storage, the query API and UI. */
function configFor(otlpAddress: string, queryAddress: string, queryGrpcAddress: string): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memory_store
    http:
      endpoint: ${queryAddress}
    grpc:
      endpoint: ${queryGrpcAddress}
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${otlpAddress}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
`
}

export type RunningJaeger = {
  /** where the app sends spans: OTEL_EXPORTER_OTLP_ENDPOINT */
  otlpEndpoint: string
  /** the query API and UI */
  queryUrl: string
  stop(): Promise<void>
}

export async function startJaeger(options: {
  home: string
  otlpPort?: number
  queryPort?: number
  /** pinned to this CPU (taskset), for the bench */
  cpu?: string
}): Promise<RunningJaeger> {
  const binary = findJaeger()
  mkdirSync(options.home, { recursive: true })
  const otlp = `127.0.0.1:${options.otlpPort ?? freePort()}`
  const query = `127.0.0.1:${options.queryPort ?? freePort()}`
  const configFile = join(options.home, 'jaeger.yaml')
  writeFileSync(configFile, configFor(otlp, query, `127.0.0.1:${freePort()}`))
  const logFile = join(options.home, 'jaeger.log')
  const log = openSync(logFile, 'a')
  const command = [binary, '--config', `file:${configFile}`]
  const pinned = options.cpu === undefined ? command : ['taskset', '-c', options.cpu, ...command]
  const child = Bun.spawn(pinned, { stdio: ['ignore', log, log] })
  closeSync(log)
  const queryUrl = `http://${query}`
  await untilAnswering(`${queryUrl}/api/services`, child, 'jaeger', { logFile, graceMs: 3_000 })
  return {
    otlpEndpoint: `http://${otlp}`,
    queryUrl,
    stop: () => stopProcess(child, 3_000),
  }
}

export type JaegerSpan = {
  traceID: string
  spanID: string
  operationName: string
  references: { refType: string; traceID: string; spanID: string }[]
  tags: { key: string; value: unknown }[]
  processID: string
}

/** The spans Jaeger holds for one trace (none while it has not seen it). */
export async function jaegerTrace(queryUrl: string, traceId: string): Promise<JaegerSpan[]> {
  const response = await fetch(`${queryUrl}/api/traces/${traceId}`)
  if (response.status === 404) return []
  const body = (await response.json()) as { data?: { spans: JaegerSpan[] }[] }
  return body.data?.[0]?.spans ?? []
}

if (import.meta.main) {
  const jaeger = await startJaeger({
    home: join(import.meta.dir, '..', '.services', 'jaeger'),
    otlpPort: Number(process.env.JAEGER_OTLP_PORT ?? 4318),
    queryPort: Number(process.env.JAEGER_UI_PORT ?? 16686),
  })
  console.log(
    `Jaeger UI on ${jaeger.queryUrl}; start the app with OTEL_EXPORTER_OTLP_ENDPOINT=${jaeger.otlpEndpoint}. ` +
      'Ctrl-C stops it',
  )
  const stop = () => void jaeger.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
