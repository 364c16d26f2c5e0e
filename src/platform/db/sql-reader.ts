/**
 * Hot reads: Drizzle builds the SQL once (the schema stays the single source of truth), bun:sqlite runs it, and
 * each row comes back as an object named by the select's own field list, typed by Drizzle from that same list.
 * Only fields that need it are decoded (timestamp columns → Date through the column's own mapper, `sql<T>` fields
 * through their `.mapWith`); every other value is taken as SQLite returns it. Drizzle's general row mapping (its
 * prepared-statement path) cost more than the query itself under load (figures: docs/performance.md). Named
 * `sql.placeholder`s bind by name, as with Drizzle.
 */
import type { Database, Statement } from 'bun:sqlite'
import { Column, type DriverValueDecoder, noopDecoder, Placeholder, SQL } from 'drizzle-orm'
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types'

type SQLQuery = { toSQL(): { sql: string; params: unknown[] } }
export type Bindings = Record<string, string | number | null>
type Decoder = ((value: unknown) => unknown) | undefined

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

export class SqlReader<TFields extends Record<string, unknown>> {
  private readonly statement: Statement
  private readonly params: unknown[]
  private readonly toRow: (values: unknown[]) => SelectResultFields<TFields>

  /** `fields` is the object the query selects (`db.select(fields)`), in the same order. */
  constructor(sqlite: Database, query: SQLQuery, fields: TFields) {
    const { sql, params } = query.toSQL()
    this.statement = sqlite.prepare(sql)
    this.params = params
    this.toRow = rowBuilder(Object.keys(fields), Object.values(fields).map(decoderOf))
  }

  rows(bindings: Bindings = {}): SelectResultFields<TFields>[] {
    const values = this.statement.values(...this.bind(bindings)) as unknown[][]
    return values.map(this.toRow)
  }

  firstRow(bindings: Bindings = {}): SelectResultFields<TFields> | undefined {
    return this.rows(bindings)[0]
  }

  private bind(bindings: Bindings): (string | number | null)[] {
    return this.params.map((param) => {
      if (!(param instanceof Placeholder)) return param as string | number | null
      const value = bindings[param.name]
      if (value === undefined) throw new Error(`no value for placeholder ${param.name}`)
      return value
    })
  }
}

/**
 * The row decoder of one select list, compiled once: an object literal with the fields in select order, so every
 * row of a reader has the same shape (a generic loop assigning keys one by one measured ≈ 10 % slower per page, docs/performance.md).
 * The names come from the code's own column lists, never from input.
 */
function rowBuilder<Row>(names: string[], decoders: Decoder[]): (values: unknown[]) => Row {
  const fields = names.map((name, i) => {
    const value = `v[${i}]`
    return `${JSON.stringify(name)}: ${decoders[i] ? `${value} === null ? null : d[${i}](${value})` : value}`
  })
  return new Function('d', `return (v) => ({ ${fields.join(', ')} })`)(decoders) as (values: unknown[]) => Row
}
