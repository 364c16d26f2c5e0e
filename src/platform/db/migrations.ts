/**
 * The migrations drizzle-kit generated, read from db/migrations/embedded.ts rather than the folder, so a compiled
 * binary migrates too. Same records (and hashes) as drizzle's folder reader produces, so a database migrated by
 * drizzle-kit, by the local driver or by the remote one has the same `__drizzle_migrations` rows.
 */
import { createHash } from 'node:crypto'
import { MIGRATION_JOURNAL, MIGRATION_SQL } from '../../../db/migrations/embedded'

export type Migration = { sql: string[]; bps: boolean; folderMillis: number; hash: string }

export function embeddedMigrations(): Migration[] {
  return MIGRATION_JOURNAL.entries.map((entry) => {
    const text = MIGRATION_SQL[entry.tag]
    if (text === undefined) throw new Error(`migration ${entry.tag} is not embedded; run bun run db:generate`)
    return {
      sql: text.split('--> statement-breakpoint'),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash('sha256').update(text).digest('hex'),
    }
  })
}
