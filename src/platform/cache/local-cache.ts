/**
 * The in-process level (L1) of the read cache: a Map with a TTL per entry and a bound on entries. Eviction is
 * first-in-first-out (a Map iterates in insertion order; a re-set re-inserts), which keeps a hit to one lookup and
 * one clock read; with TTLs of seconds an LRU would buy little.
 */
export class LocalCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>()

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt > this.now()) return entry.value
    this.entries.delete(key)
    return undefined
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }

  get size(): number {
    return this.entries.size
  }
}
