import { sql } from 'drizzle-orm'
import { integer } from 'drizzle-orm/sqlite-core'

/** Timestamps are stored as integer epoch milliseconds: compact, index-friendly and exact for keyset cursors. */
export const timestampMs = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const createdAt = (name = 'created_at') =>
  timestampMs(name).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`)

export const updatedAt = () =>
  timestampMs('updated_at').notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`)

/** SQL list literal for a CHECK constraint over an enum's values. */
export const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '))
