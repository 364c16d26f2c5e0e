/**
 * Hot reads: Drizzle builds the SQL once (the schema stays the single source of truth), the driver's client runs
 * it, and each row comes back as an object named by the select's own field list, typed by Drizzle from that same
 * list. Only fields that need it are decoded (timestamp columns → Date through the column's own mapper, `sql<T>`
 * fields through their `.mapWith`); every other value is taken as SQLite returns it. Drizzle's general row mapping
 * (its prepared-statement path) cost more than the query itself under load (figures: docs/performance.md). Named
 * `sql.placeholder`s bind by name, as with Drizzle.
 *
 * Two clients, one reader contract: bun:sqlite (a local file) runs a statement prepared once and answers at once;
 * libSQL (`client.execute`, a sqld/Turso server) answers in a Promise. Both bind the same positional values in
 * the same order and decode rows with the same compiled builder, so a repository reads alike on either.
 */
import { Database, type Statement } from 'bun:sqlite'
import type { Client } from '@libsql/client'
import { Column, type DriverValueDecoder, noopDecoder, Placeholder, SQL } from 'drizzle-orm'
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types'
import type { Awaitable } from './read-db'

type SQLQuery = { toSQL(): { sql: string; params: unknown[] } }
export type Bindings = Record<string, string | number | null>
type Decoder = ((value: unknown) => unknown) | undefined
type Value = string | number | null

/** Runs one select; rows are synchronous on bun:sqlite and a Promise on libSQL (`await` takes either). */
export interface SqlReader<TFields extends Record<string, unknown>> {
  rows(bindings?: Bindings): Awaitable<SelectResultFields<TFields>[]>
  firstRow(bindings?: Bindings): Awaitable<SelectResultFields<TFields> | undefined>
}

/**
 * The reader of `query` on `client`: a prepared bun:sqlite statement, or libSQL's `execute`. `fields` is the
 * object the query selects (`db.select(fields)`), in the same order.
 */
export function createSqlReader<TFields extends Record<string, unknown>>(
  client: Database | Client,
  query: SQLQuery,
  fields: TFields,
): SqlReader<TFields> {
  return client instanceof Database
    ? new LocalSqlReader(client, query, fields)
    : new RemoteSqlReader(client, query, fields)
}

/** The parts both clients share: the SQL, its parameters in order, and the row builder. */
abstract class CompiledSelect<TFields extends Record<string, unknown>> {
  protected readonly sql: string
  protected readonly toRow: (values: ArrayLike<unknown>) => SelectResultFields<TFields>
  private readonly params: unknown[]

  constructor(query: SQLQuery, fields: TFields) {
    const { sql, params } = query.toSQL()
    this.sql = sql
    this.params = params
    this.toRow = rowBuilder(Object.keys(fields), Object.values(fields).map(decoderOf))
  }

  /** The positional values: fixed parameters as built, placeholders from `bindings`. */
  protected bind(bindings: Bindings): Value[] {
    return this.params.map((param) => {
      if (!(param instanceof Placeholder)) return param as Value
      const value = bindings[param.name]
      if (value === undefined) throw new Error(`no value for placeholder ${param.name}`)
      return value
    })
  }
}

/** bun:sqlite: the statement is compiled once for this connection; rows answer synchronously. */
class LocalSqlReader<TFields extends Record<string, unknown>>
  extends CompiledSelect<TFields>
  implements SqlReader<TFields>
{
  private readonly statement: Statement

  constructor(sqlite: Database, query: SQLQuery, fields: TFields) {
    super(query, fields)
    this.statement = sqlite.prepare(this.sql)
  }

  rows(bindings: Bindings = {}): SelectResultFields<TFields>[] {
    const values = this.statement.values(...this.bind(bindings)) as unknown[][]
    return values.map(this.toRow)
  }

  firstRow(bindings: Bindings = {}): SelectResultFields<TFields> | undefined {
    return this.rows(bindings)[0]
  }
}

/** libSQL: one `execute` per read (the server caches the statement); its rows are indexable by position. */
class RemoteSqlReader<TFields extends Record<string, unknown>>
  extends CompiledSelect<TFields>
  implements SqlReader<TFields>
{
  constructor(
    private readonly client: Client,
    query: SQLQuery,
    fields: TFields,
  ) {
    super(query, fields)
  }

  async rows(bindings: Bindings = {}): Promise<SelectResultFields<TFields>[]> {
    const result = await this.client.execute({ sql: this.sql, args: this.bind(bindings) })
    return result.rows.map(this.toRow)
  }

  async firstRow(bindings: Bindings = {}): Promise<SelectResultFields<TFields> | undefined> {
    return (await this.rows(bindings))[0]
  }
}

const identityColumnMapper = Column.prototype.mapFromDriverValue

/** How a selected field's stored value becomes its typed value; undefined when it is used as stored. */
function decoderOf(field: unknown): Decoder {
  if (field instanceof Column && field.mapFromDriverValue !== identityColumnMapper) {
    return (value) => field.mapFromDriverValue(value)
  }
  if (field instanceof SQL) {
    // `.mapWith(fn)` stores fn as the SQL's decoder, which Drizzle keeps out of its public typings
    const { decoder } = field as unknown as { decoder: DriverValueDecoder<unknown, unknown> }
    if (decoder !== noopDecoder) return (value) => decoder.mapFromDriverValue(value)
  }
  return undefined
}

/**
 * The row decoder of one select list, compiled once: an object literal with the fields in select order, so every
 * row of a reader has the same shape (a generic loop assigning keys one by one measured ≈ 10 % slower per page, docs/performance.md).
 * The names come from the code's own column lists, never from input.
 */
function rowBuilder<Row>(names: string[], decoders: Decoder[]): (values: ArrayLike<unknown>) => Row {
  const fields = names.map((name, i) => {
    const value = `v[${i}]`
    return `${JSON.stringify(name)}: ${decoders[i] ? `${value} === null ? null : d[${i}](${value})` : value}`
  })
  return new Function('d', `return (v) => ({ ${fields.join(', ')} })`)(decoders) as (
    values: ArrayLike<unknown>,
  ) => Row
}
