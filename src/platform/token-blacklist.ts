/**
 * Revoked access tokens by `jti`, kept until the token would have expired anyway. This in-process implementation
 * serves the embedded default (one instance); a Redis implementation of the same interface makes a logout hold
 * across instances. Memory is bounded by expiry: entries are swept as they pass their `exp`.
 */
export interface TokenBlacklist {
  add(jti: string, expiresAtMs: number): Promise<void>
  has(jti: string): Promise<boolean>
}

export class InMemoryTokenBlacklist implements TokenBlacklist {
  private readonly expiries = new Map<string, number>()
  private nextSweepAt = 0

  constructor(private readonly now: () => number = Date.now) {}

  async add(jti: string, expiresAtMs: number): Promise<void> {
    this.sweep()
    if (expiresAtMs > this.now()) this.expiries.set(jti, expiresAtMs)
  }

  async has(jti: string): Promise<boolean> {
    const expiresAt = this.expiries.get(jti)
    return expiresAt !== undefined && expiresAt > this.now()
  }

  get size(): number {
    return this.expiries.size
  }

  private sweep(): void {
    const now = this.now()
    if (now < this.nextSweepAt) return
    this.nextSweepAt = now + 60_000
    for (const [jti, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(jti)
  }
}
