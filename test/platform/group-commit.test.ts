/**
 * Group commit (src/platform/db/group-commit.ts) on a real WAL file: writes of one event-loop turn share one
 * COMMIT, each stays all-or-nothing in its own savepoint, nobody hears back before the COMMIT, and the failures
 * SQLite can throw at a group (a whole-transaction rollback, a failing COMMIT) lose no write and answer no lie.
 */
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGroupCommit } from '../../src/platform/db/group-commit'

let dir: string
let sqlite: Database
let observer: Database

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'))
  sqlite = new Database(join(dir, 'g.db'), { create: true, strict: true })
  sqlite.run('PRAGMA journal_mode = WAL')
  sqlite.run('create table items (id integer primary key, name text not null unique)')
  sqlite.run('create table parents (id integer primary key)')
  sqlite.run(
    'create table children (id integer primary key, parent_id integer references parents(id) deferrable initially deferred)',
  )
  sqlite.run('PRAGMA foreign_keys = ON')
  observer = new Database(join(dir, 'g.db'), { readonly: true })
})

afterEach(() => {
  observer.close()
  sqlite.close()
  rmSync(dir, { recursive: true, force: true })
})

const insert = (name: string) => () =>
  sqlite.query('insert into items (name) values (?) returning id').get(name) as { id: number }
const committedNames = () =>
  (observer.query('select name from items order by id').all() as { name: string }[]).map((row) => row.name)

describe('group commit', () => {
  test('the writes of one turn share one COMMIT and each gets its own answer', async () => {
    const groups = createGroupCommit(sqlite)
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((name) => groups.run(insert(name))))
    expect(ids.map((row) => row.id)).toEqual([1, 2, 3, 4])
    expect(groups.stats()).toEqual({ groups: 1, writes: 4 })
    expect(committedNames()).toEqual(['a', 'b', 'c', 'd'])
  })

  test('a refused write rolls back only itself (its savepoint); the others of the group commit', async () => {
    const groups = createGroupCommit(sqlite)
    const refusing = () => {
      insert('half-done')()
      throw new Error('refused after a write')
    }
    const results = await Promise.allSettled([
      groups.run(insert('x')),
      groups.run(refusing),
      groups.run(insert('x')), // unique name: refused by SQLite itself
      groups.run(insert('y')),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect(committedNames()).toEqual(['x', 'y'])
    expect(groups.stats()).toEqual({ groups: 1, writes: 4 })
  })

  test('nothing is visible before the COMMIT, and every answer comes after it', async () => {
    const groups = createGroupCommit(sqlite)
    const seenByOthersDuringGroup: string[][] = []
    const seenAtAnswer: string[][] = []
    const first = groups.run(insert('first')).then(() => seenAtAnswer.push(committedNames()))
    const second = groups.run(() => {
      seenByOthersDuringGroup.push(committedNames())
      return insert('second')()
    })
    await Promise.all([first, second])
    expect(seenByOthersDuringGroup).toEqual([[]])
    expect(seenAtAnswer).toEqual([['first', 'second']])
  })

  test('a group holds at most maxGroup writes; the rest go in the next groups', async () => {
    const groups = createGroupCommit(sqlite, 64)
    await Promise.all(Array.from({ length: 150 }, (_, i) => groups.run(insert(`n${i}`))))
    expect(groups.stats()).toEqual({ groups: 3, writes: 150 })
    expect(committedNames()).toHaveLength(150)
  })

  test('writes of later turns form groups of their own', async () => {
    const groups = createGroupCommit(sqlite)
    await groups.run(insert('one'))
    await groups.run(insert('two'))
    expect(groups.stats()).toEqual({ groups: 2, writes: 2 })
  })

  test('when SQLite rolls the whole transaction back, the failing write gets the error and the others run again', async () => {
    const groups = createGroupCommit(sqlite)
    const rollsBackEverything = () => {
      sqlite.run('ROLLBACK') // what SQLITE_FULL or SQLITE_IOERR do to the transaction
      throw new Error('disk full')
    }
    const results = await Promise.allSettled([
      groups.run(insert('before')),
      groups.run(rollsBackEverything),
      groups.run(insert('after')),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('disk full')
    expect(committedNames()).toEqual(['before', 'after'])
  })

  test('a COMMIT that fails fails every write of the group, and none of them is stored', async () => {
    const groups = createGroupCommit(sqlite)
    const orphan = () => sqlite.run('insert into children (parent_id) values (42)') // deferred FK: fails at COMMIT
    const results = await Promise.allSettled([groups.run(insert('p')), groups.run(orphan)])
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected'])
    expect(committedNames()).toEqual([])
    expect(sqlite.inTransaction).toBe(false)
    await groups.run(insert('later')) // the connection is usable again
    expect(committedNames()).toEqual(['later'])
  })

  test('an asynchronous body is refused (it would commit before its awaits)', async () => {
    const groups = createGroupCommit(sqlite)
    await expect(groups.run(async () => insert('never')())).rejects.toThrow('synchronous')
    expect(committedNames()).toEqual([])
  })
})
