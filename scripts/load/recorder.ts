/**
 * What `bun run load` measures: every request's endpoint tag, status and time, plus named counters (sold,
 * oversold, server errors …), and the summary k6 would print: requests per second, p50/p95/p99 per tag, answers by
 * status, and each threshold with PASS/FAIL.
 */
export type Threshold = { name: string; isMet: boolean; detail: string }

type TagStats = { times: number[]; statuses: Map<number, number> }

export class Recorder {
  private readonly tags = new Map<string, TagStats>()
  private readonly counters = new Map<string, number>()
  /** how many checks failed, and the first few (a run can fail thousands the same way) */
  private checksFailedCount = 0
  private readonly firstFailedChecks: string[] = []
  private startedAt = performance.now()
  private endedAt: number | undefined
  /** requests between start() and end(): the measured phase (setup — signups, logins — is not load) */
  private measured = 0
  private isMeasuring = false

  start(): void {
    this.startedAt = performance.now()
    this.isMeasuring = true
  }

  end(): void {
    this.endedAt = performance.now()
    this.isMeasuring = false
  }

  record(tag: string, status: number, milliseconds: number): void {
    let stats = this.tags.get(tag)
    if (!stats) {
      stats = { times: [], statuses: new Map() }
      this.tags.set(tag, stats)
    }
    stats.times.push(milliseconds)
    if (this.isMeasuring) this.measured++
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1)
  }

  add(counter: string, value = 1): void {
    this.counters.set(counter, (this.counters.get(counter) ?? 0) + value)
  }

  count(counter: string): number {
    return this.counters.get(counter) ?? 0
  }

  /** A failed check: kept (the first few printed) and counted. */
  check(isOk: boolean, what: string): boolean {
    if (!isOk) {
      this.checksFailedCount++
      if (this.firstFailedChecks.length < 3) this.firstFailedChecks.push(what)
    }
    return isOk
  }

  get checksFailed(): number {
    return this.checksFailedCount
  }

  percentile(tag: string, p: number): number | undefined {
    const times = this.tags.get(tag)?.times
    if (!times || times.length === 0) return undefined
    const sorted = [...times].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  }

  /** Requests whose status is not in `expected` (2xx/3xx and the scenario's expected refusals). */
  failedRate(isExpected: (status: number) => boolean): number {
    let total = 0
    let failed = 0
    for (const stats of this.tags.values()) {
      for (const [status, count] of stats.statuses) {
        total += count
        if (!isExpected(status)) failed += count
      }
    }
    return total === 0 ? 0 : failed / total
  }

  /** `http_req_duration{name:tag}` style thresholds: p95/p99 under the limits (ms). */
  latencyThresholds(limits: Record<string, { p95?: number; p99?: number }>): Threshold[] {
    return Object.entries(limits).flatMap(([tag, { p95, p99 }]) =>
      (
        [
          [95, p95],
          [99, p99],
        ] as const
      )
        .filter(([, limit]) => limit !== undefined)
        .map(([p, limit]) => {
          const value = this.percentile(tag, p)
          return {
            name: `${tag} p(${p}) < ${limit} ms`,
            isMet: value !== undefined && value < limit!,
            detail: value === undefined ? 'no requests' : `${value.toFixed(1)} ms`,
          }
        }),
    )
  }

  summary(thresholds: Threshold[]): string {
    const seconds = ((this.endedAt ?? performance.now()) - this.startedAt) / 1000
    const lines = [
      `requests: ${this.measured} in ${seconds.toFixed(1)} s = ${(this.measured / seconds).toFixed(1)} req/s ` +
        '(the measured phase; the table also counts setup)',
      '',
      '| endpoint | requests | p50 | p95 | p99 | statuses |',
      '|---|--:|--:|--:|--:|---|',
    ]
    for (const [tag, stats] of [...this.tags].sort(([a], [b]) => a.localeCompare(b))) {
      const ms = (p: number) => `${this.percentile(tag, p)!.toFixed(1)} ms`
      const statuses = [...stats.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')
      lines.push(`| ${tag} | ${stats.times.length} | ${ms(50)} | ${ms(95)} | ${ms(99)} | ${statuses} |`)
    }
    if (this.counters.size > 0) {
      lines.push('', [...this.counters].map(([name, value]) => `${name}: ${value}`).join(', '))
    }
    if (this.checksFailedCount > 0) {
      lines.push('', `failed checks: ${this.checksFailedCount} (first: ${this.firstFailedChecks.join('; ')})`)
    }
    lines.push('', 'thresholds:')
    for (const threshold of thresholds) {
      lines.push(`  ${threshold.isMet ? 'PASS' : 'FAIL'} ${threshold.name} (${threshold.detail})`)
    }
    return lines.join('\n')
  }
}
