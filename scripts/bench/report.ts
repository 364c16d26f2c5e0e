/** Medians over repeated wrk runs and the printed table. */
import type { WrkResult } from './wrk'

export type ScenarioSummary = {
  name: string
  runs: WrkResult[]
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  socketErrors: number
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Each metric's median taken on its own over the runs; error counts are summed. */
export function summarize(name: string, runs: WrkResult[]): ScenarioSummary {
  return {
    name,
    runs,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    socketErrors: runs.reduce((sum, r) => sum + r.socketErrors, 0),
  }
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`

export function renderTable(summaries: ScenarioSummary[], baselineRps: number): string {
  const header = ['endpoint', 'req/s', 'p50', 'p99', 'vs bare (req/s)', 'runs (req/s)']
  const rows = summaries.map((s) => [
    s.name,
    Math.round(s.requestsPerSecond).toLocaleString('en-US'),
    ms(s.p50Ms),
    ms(s.p99Ms),
    percent(s.requestsPerSecond / baselineRps),
    s.runs.map((r) => Math.round(r.requestsPerSecond)).join(' / '),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}
