/**
 * Read/write splitting (the guide's Phase 5 read replicas). Writes and every read inside a write flow use the
 * primary. Public catalog reads ask `readerFor(viewer)`: a replica (round robin), unless the viewer wrote
 * within the last DATABASE_READ_YOUR_WRITES_MS, in which case the primary, so nobody reads a replica that has
 * not caught up with their own write (read-your-writes). The window is tracked per member in this process;
 * behind a load balancer, pin a member to an instance or keep the window above the replication lag.
 * The primary and each replica may be a local file or a libSQL server (ReadDb): reads are awaited either way.
 */
import type { ReadDb } from './read-db'

export class ReadRouter {
  private readonly recentWriters = new Map<number, number>()
  private next = 0

  private readonly now: () => number
  private readonly afterWrite: (() => void) | undefined

  constructor(
    readonly primary: ReadDb,
    private readonly replicas: readonly ReadDb[],
    private readonly readYourWritesMs: number,
    /** `afterWrite`: told of every write (an embedded replica starts a sync) */
    options: { now?: () => number; afterWrite?: () => void } = {},
  ) {
    this.now = options.now ?? Date.now
    this.afterWrite = options.afterWrite
  }

  /** Call after a member's write committed. */
  recordWrite(memberId: number): void {
    if (this.replicas.length === 0) return
    this.afterWrite?.()
    this.recentWriters.set(memberId, this.now() + this.readYourWritesMs)
    if (this.recentWriters.size > 100_000) this.forgetExpired()
  }

  /** The connection for a catalog read by `memberId` (undefined: anonymous). */
  readerFor(memberId?: number): ReadDb {
    if (this.replicas.length === 0) return this.primary
    if (memberId !== undefined) {
      const until = this.recentWriters.get(memberId)
      if (until !== undefined && until > this.now()) return this.primary
    }
    this.next = (this.next + 1) % this.replicas.length
    return this.replicas[this.next]!
  }

  private forgetExpired(): void {
    const now = this.now()
    for (const [memberId, until] of this.recentWriters) if (until <= now) this.recentWriters.delete(memberId)
  }
}
