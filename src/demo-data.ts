/**
 * Inserts the demo data of SPEC §9 (db/demo-data.ts). Idempotent: rows that exist are left alone, so the embedded
 * default runs it at every start (main.ts) and `bun run seed` on demand. Passwords are hashed like a signup's.
 * On either driver: one local transaction, or one batch on a libSQL server.
 */
import { inArray } from 'drizzle-orm'
import { DEMO_CATEGORIES, DEMO_MEMBERS, DEMO_PRODUCTS } from '../db/demo-data'
import { categories, members, products } from '../db/schema'
import { argon2idHasher, type PasswordHasher } from './platform/auth/password-hasher'
import { type Database, primaryDbOf } from './platform/db/connections'
import type { QueryDb } from './platform/db/read-db'

export async function seedDemoData(database: Database, hasher: PasswordHasher = argon2idHasher) {
  const db = primaryDbOf(database)
  const demoEmails = DEMO_MEMBERS.map((m) => m.email)
  const found = await db
    .select({ email: members.email })
    .from(members)
    .where(inArray(members.email, demoEmails))
  const existing = new Set(found.map((m) => m.email))
  const missing = DEMO_MEMBERS.filter((m) => !existing.has(m.email))
  const hashed = await Promise.all(
    missing.map(async ({ password, ...m }) => ({ ...m, passwordHash: await hasher.hash(password) })),
  )
  const inserts = (on: QueryDb) => [
    ...(hashed.length > 0 ? [on.insert(members).values(hashed).onConflictDoNothing()] : []),
    on.insert(categories).values(DEMO_CATEGORIES).onConflictDoNothing(),
    on
      .insert(products)
      .values(DEMO_PRODUCTS.map((p) => ({ ...p, sellerId: 2, status: 'ON_SALE' as const })))
      .onConflictDoNothing(),
  ]
  if (database.mode === 'file') {
    database.local.writeTransaction((tx) => {
      for (const insert of inserts(tx)) insert.run()
    })
  } else {
    const [first, ...rest] = inserts(database.remote.db)
    await database.remote.db.batch([first!, ...rest])
  }
  return { membersCreated: hashed.length }
}
