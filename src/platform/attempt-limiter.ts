/**
 * Counts failures per key in a fixed window (login throttling per account and per IP). In-process here; the
 * Redis-backed limiter that holds across instances implements the same interface. Bounded: a full table evicts
 * its oldest windows first.
 */
export interface AttemptLimiter {
  /** true when `key` has used up its failures in the current window */
  isBlocked(key: string): Promise<boolean>
  recordFailure(key: string): Promise<void>
  reset(key: string): Promise<void>
  /** seconds until the current window of `key` ends */
  retryAfterSeconds(key: string): Promise<number>
}

type Window = { count: number; endsAt: number }

export class InMemoryAttemptLimiter implements AttemptLimiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async isBlocked(key: string): Promise<boolean> {
    return (this.current(key)?.count ?? 0) >= this.maxFailures
  }

  async recordFailure(key: string): Promise<void> {
    const window = this.current(key)
    if (window) {
      window.count += 1
      return
    }
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
    this.windows.set(key, { count: 1, endsAt: this.now() + this.windowMs })
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key)
  }

  async retryAfterSeconds(key: string): Promise<number> {
    const window = this.current(key)
    return window ? Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000)) : 0
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key)
    if (window && window.endsAt <= this.now()) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }
}
