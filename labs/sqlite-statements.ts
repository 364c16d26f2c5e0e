/**
 * How the cache labs count database queries: every SQL statement bun:sqlite executes in this process, counted at
 * the driver. While a watch is open, `Database.prototype.prepare` and `query` hand out statements whose executing
 * methods (`all`, `get`, `iterate`, `raw`, `run`, `values`) record the moment they run, and `Database.prototype.run`
 * and `exec` (SQL run without a statement object) record too. Drizzle's bun-sqlite driver and the hot readers of
 * src/platform/db/sql-reader.ts both prepare through these methods, so a read the app serves from the database is
 * one recorded statement, whatever layer ran it; a read served from a cache records nothing.
 *
 * Open the watch before the app is built (createDeps prepares statements): a statement prepared earlier is not
 * wrapped. Only the window between `start()` and `stop()` is recorded; `close()` puts the prototypes back.
 * bun:sqlite puts a statement's methods on the instance, not on `Statement.prototype`, hence the wrap at prepare.
 */
import { Database } from 'bun:sqlite'

const EXECUTING_METHODS = ['all', 'get', 'iterate', 'raw', 'run', 'values'] as const

type Patched = Record<'prepare' | 'query' | 'run' | 'exec', (...args: unknown[]) => unknown>

export type StatementWatch = {
  /** Starts recording (clears what was recorded). */
  start(): void
  /** Stops recording; the `performance.now()` of each statement executed since `start()`. */
  stop(): number[]
  /** Puts bun:sqlite back as it was. Safe to call more than once. */
  close(): void
}

let isWatching = false

export function watchSqliteStatements(): StatementWatch {
  if (isWatching) throw new Error('one statement watch at a time: close the other first')
  isWatching = true
  let isOpen = true
  let recorded: number[] | undefined
  const record = () => recorded?.push(performance.now())
  const prototype = Database.prototype as unknown as Patched
  const original: Patched = {
    prepare: prototype.prepare,
    query: prototype.query,
    run: prototype.run,
    exec: prototype.exec,
  }
  const wrapped = new WeakSet<object>()
  const counted = (statement: unknown) => {
    const methods = statement as Record<string, unknown>
    if (wrapped.has(methods)) return statement // `query` hands out its cached statement again
    for (const name of EXECUTING_METHODS) {
      const method = methods[name]
      if (typeof method !== 'function') continue
      methods[name] = function (this: unknown, ...args: unknown[]) {
        record()
        return method.apply(this, args)
      }
    }
    wrapped.add(methods)
    return statement
  }
  prototype.prepare = function (this: Database, ...args: unknown[]) {
    return counted(original.prepare.apply(this, args))
  }
  prototype.query = function (this: Database, ...args: unknown[]) {
    return counted(original.query.apply(this, args))
  }
  prototype.run = function (this: Database, ...args: unknown[]) {
    record()
    return original.run.apply(this, args)
  }
  prototype.exec = function (this: Database, ...args: unknown[]) {
    record()
    return original.exec.apply(this, args)
  }
  return {
    start() {
      recorded = []
    },
    stop() {
      const times = recorded ?? []
      recorded = undefined
      return times
    },
    close() {
      if (!isOpen) return
      Object.assign(prototype, original)
      recorded = undefined
      isOpen = false
      isWatching = false
    },
  }
}
