/**
 * The database token blacklist (the store without REDIS_URL): answers by expiry, survives a reopen of the file,
 * and deletes expired rows in bounded batches. Its own temporary database file; the clock is injected.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseTokenBlacklist, localRevocations } from '../../src/platform/auth/token-blacklist'
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database'
import { createLogger } from '../../src/platform/observability/logger'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-blacklist-'))
const file = join(dir, 'test.db')
const logger = createLogger('silent')
let database = openDatabase(file)
afterAll(() => {
  database.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  database.sqlite.run('delete from revoked_access_tokens')
})

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

function storedRows(): number {
  return database.sqlite.query<{ n: number }, []>('select count(*) as n from revoked_access_tokens').get()!.n
}

/** The same database, counting write transactions and the rows each one deleted. */
function countingWrites(inner: DatabaseHandle) {
  const transactions: number[] = []
  const totalChanges = () => inner.sqlite.query<{ n: number }, []>('select total_changes() as n').get()!.n
  const handle: DatabaseHandle = {
    ...inner,
    writeTransaction(work) {
      const before = totalChanges()
      const result = inner.writeTransaction(work)
      transactions.push(totalChanges() - before)
      return result
    },
  }
  return { handle, transactions }
}

describe('DatabaseTokenBlacklist', () => {
  test('a revoked jti is reported until its expiry, then no longer, even before any cleanup', async () => {
    const clock = fakeClock()
    const blacklist = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)
    await blacklist.add('jti-1', clock.now() + 10_000)

    const whileValid = await blacklist.has('jti-1')
    clock.advance(9_999)
    const justBefore = await blacklist.has('jti-1')
    clock.advance(1)
    const atExpiry = await blacklist.has('jti-1')

    expect(whileValid).toBe(true)
    expect(justBefore).toBe(true)
    expect(atExpiry).toBe(false)
    expect(storedRows()).toBe(1)
  })

  test('an unknown jti is not blacklisted', async () => {
    const clock = fakeClock()
    const blacklist = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)
    await blacklist.add('jti-1', clock.now() + 60_000)

    expect(await blacklist.has('jti-2')).toBe(false)
  })

  test('a token that has already expired is not stored at all, and a repeated logout keeps one row', async () => {
    const clock = fakeClock()
    const blacklist = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)

    await blacklist.add('old', clock.now() - 1)
    await blacklist.add('now', clock.now())
    await blacklist.add('twice', clock.now() + 1_000)
    await blacklist.add('twice', clock.now() + 1_000)

    expect(storedRows()).toBe(1)
  })

  test('a revocation survives closing and reopening the database file (a restart)', async () => {
    const clock = fakeClock(Date.now())
    await new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now).add(
      'kept',
      clock.now() + 60_000,
    )

    database.close()
    database = openDatabase(file)
    const reopened = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)

    expect(await reopened.has('kept')).toBe(true)
  })

  test('cleanup deletes only expired rows, at most 1000 per write transaction', async () => {
    const clock = fakeClock()
    const seeding = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)
    for (let i = 0; i < 2_500; i++) await seeding.add(`short-${i}`, clock.now() + 1_000)
    await seeding.add('long', clock.now() + 3_600_000)
    clock.advance(1_000)
    const { handle, transactions } = countingWrites(database)
    const blacklist = new DatabaseTokenBlacklist(localRevocations(handle), logger, clock.now)

    const deleted = await blacklist.deleteExpired()

    expect(deleted).toBe(2_500)
    expect(transactions).toEqual([1_000, 1_000, 500])
    expect(storedRows()).toBe(1)
    expect(await blacklist.has('long')).toBe(true)
  })

  test('stop waits for a cleanup in progress and no later cleanup runs', async () => {
    const clock = fakeClock()
    const blacklist = new DatabaseTokenBlacklist(localRevocations(database), logger, clock.now)
    for (let i = 0; i < 1_500; i++) await blacklist.add(`short-${i}`, clock.now() + 1_000)
    clock.advance(1_000)

    const running = blacklist.deleteExpired()
    await blacklist.stop()
    const afterStop = await blacklist.deleteExpired()

    expect(await running).toBe(1_000)
    expect(afterStop).toBe(0)
    expect(storedRows()).toBe(500)
  })
})
