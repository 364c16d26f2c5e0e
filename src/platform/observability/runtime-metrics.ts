/**
 * Process and runtime metrics that are true on Bun. prom-client's defaults are written for Node and V8; on Bun
 * (JavaScriptCore, mimalloc) some report nothing real, and some fail `promtool check metrics`. Kept: CPU seconds,
 * resident and virtual memory, open/max file descriptors, start time, event-loop lag (Bun implements
 * `monitorEventLoopDelay`), and `nodejs_heap_size_{total,used}_bytes` and `nodejs_external_memory_bytes`, which
 * Bun fills from the JavaScriptCore heap. Dropped, each for a measured reason:
 * - `process_heap_bytes`: read from the process's data segment, which is mimalloc's reserved address space on Bun
 *   (≈ 6 GB for a 50 MB process), not a heap;
 * - `nodejs_active_{handles,requests,resources}` and their `_total` twins: always 0 on Bun, and gauges named
 *   `_total` fail promtool;
 * - `nodejs_heap_space_*`: V8's heap spaces, which JavaScriptCore does not have (all 0 but one);
 * - `nodejs_version_info`: the Node version Bun claims compatibility with, not what runs.
 * Added: `bun_info{version}` and the JavaScriptCore heap as Bun sees it (`bun:jsc` heapStats, read at scrape).
 */
import { heapStats } from 'bun:jsc'
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client'

const UNTRUE_ON_BUN = [
  'process_heap_bytes',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
]

export function registerRuntimeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry })
  for (const name of UNTRUE_ON_BUN) registry.removeSingleMetric(name)
  const registers = [registry]
  new Gauge({
    name: 'bun_info',
    help: 'The Bun runtime serving this process (always 1)',
    labelNames: ['version'] as const,
    registers,
  }).set({ version: Bun.version }, 1)
  // one heapStats() per scrape, shared by the three gauges (it walks the heap's object counts)
  let stats: { at: number; value: ReturnType<typeof heapStats> } | undefined
  const current = () => {
    const now = Date.now()
    if (!stats || now - stats.at > 1_000) stats = { at: now, value: heapStats() }
    return stats.value
  }
  const gauge = (name: string, help: string, read: (s: ReturnType<typeof heapStats>) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(current()))
      },
    })
  gauge('bun_jsc_heap_size_bytes', 'JavaScriptCore heap: bytes in use', (s) => s.heapSize)
  gauge(
    'bun_jsc_heap_capacity_bytes',
    'JavaScriptCore heap: bytes reserved for objects',
    (s) => s.heapCapacity,
  )
  gauge('bun_jsc_objects', 'JavaScriptCore heap: live objects', (s) => s.objectCount)
}
