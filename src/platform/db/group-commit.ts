/**
 * Group commit for the local file. A commit costs what it writes to the WAL, and under a flash sale every order
 * rewrites the same pages (the hot product's row, the tails of the orders, lines and outbox tables and their
 * indexes): one transaction per order pays for them every time. Here the writes that arrive in the same
 * event-loop turn share one BEGIN IMMEDIATE … COMMIT, so those pages are written once per group.
 *
 * Same guarantees as one transaction each:
 * - **All or nothing per write.** Each runs inside its own SAVEPOINT; one that throws (a 409, a 404) is rolled back
 *   to its savepoint and only its caller sees the error, the rest of the group commits.
 * - **Nothing answered before COMMIT.** Callers get a Promise that settles after the group's COMMIT; a COMMIT that
 *   fails fails every write of the group (none was answered, none is on disk).
 * - **Isolation as before.** The whole group runs synchronously, as one writeTransaction did: no other code of this
 *   process runs in between, and another process waits on SQLite's write lock (BEGIN IMMEDIATE, busy_timeout).
 *
 * Bounded: a group takes at most `maxGroup` writes; it runs on `setImmediate`, i.e. right after the event loop
 * has handled the I/O that is ready (no timer, no wait beyond the current turn). When SQLite itself rolls the
 * whole transaction back after an error (SQLITE_FULL, SQLITE_IOERR: `inTransaction` turns false), the earlier
 * writes of the group are gone with it; they run again in the next group, the failing one gets its error.
 */
import type { Database } from 'bun:sqlite'

type Member = {
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type Outcome =
  | { member: Member; isOk: true; value: unknown }
  | { member: Member; isOk: false; error: unknown }

export const DEFAULT_MAX_GROUP = 64

export type GroupCommit = {
  /** Runs `work` (synchronous, like a writeTransaction body) in the next group; settles after its COMMIT. */
  run<T>(work: () => T): Promise<T>
  /** Groups committed and writes they carried since start, for the bench and the tests. */
  stats(): { groups: number; writes: number }
}

export function createGroupCommit(sqlite: Database, maxGroup = DEFAULT_MAX_GROUP): GroupCommit {
  const statements = {
    begin: sqlite.prepare('BEGIN IMMEDIATE'),
    savepoint: sqlite.prepare('SAVEPOINT group_write'),
    release: sqlite.prepare('RELEASE group_write'),
    rollbackTo: sqlite.prepare('ROLLBACK TO group_write'),
    commit: sqlite.prepare('COMMIT'),
  }
  let queue: Member[] = []
  let isScheduled = false
  const counts = { groups: 0, writes: 0 }

  const schedule = () => {
    if (isScheduled) return
    isScheduled = true
    setImmediate(flush)
  }

  /** One member in its savepoint; false when SQLite rolled the whole transaction back under it. */
  const runMember = (member: Member, outcomes: Outcome[]): boolean => {
    statements.savepoint.run()
    try {
      const value = member.work()
      if (value instanceof Promise) throw new Error('group commit bodies must be synchronous')
      statements.release.run()
      outcomes.push({ member, isOk: true, value })
      return true
    } catch (error) {
      if (!sqlite.inTransaction) {
        member.reject(error)
        return false
      }
      statements.rollbackTo.run()
      statements.release.run()
      outcomes.push({ member, isOk: false, error })
      return true
    }
  }

  const runGroup = (group: Member[]) => {
    try {
      statements.begin.run()
    } catch (error) {
      for (const member of group) member.reject(error)
      return
    }
    const outcomes: Outcome[] = []
    for (let i = 0; i < group.length; i++) {
      if (runMember(group[i]!, outcomes)) continue
      // the transaction is gone: every write before this one was undone with it; they and the rest go again
      queue = [...outcomes.map((outcome) => outcome.member), ...group.slice(i + 1), ...queue]
      schedule()
      return
    }
    try {
      statements.commit.run()
    } catch (error) {
      if (sqlite.inTransaction) sqlite.run('ROLLBACK')
      for (const member of group) member.reject(error)
      return
    }
    counts.groups++
    counts.writes += group.length
    for (const outcome of outcomes) {
      if (outcome.isOk) outcome.member.resolve(outcome.value)
      else outcome.member.reject(outcome.error)
    }
  }

  function flush() {
    isScheduled = false
    const group = queue.length <= maxGroup ? queue : queue.slice(0, maxGroup)
    queue = queue.length <= maxGroup ? [] : queue.slice(maxGroup)
    if (queue.length > 0) schedule()
    if (group.length > 0) runGroup(group)
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
        schedule()
      })
    },
    stats: () => ({ ...counts }),
  }
}
