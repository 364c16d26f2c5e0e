/**
 * Inserts the demo data of SPEC §9 (db/demo-data.ts). Idempotent: rows that exist are left alone, so the embedded
 * default runs it at every start (main.ts) and `bun run seed` on demand. Passwords are hashed like a signup's.
 */
import { inArray } from 'drizzle-orm'
import { DEMO_CATEGORIES, DEMO_MEMBERS, DEMO_PRODUCTS } from '../db/demo-data'
import { categories, members, products } from '../db/schema'
import { argon2idHasher, type PasswordHasher } from './platform/auth/password-hasher'
import type { DatabaseHandle } from './platform/db/database'

export async function seedDemoData(database: DatabaseHandle, hasher: PasswordHasher = argon2idHasher) {
  const existing = new Set(
    database.db
      .select({ email: members.email })
      .from(members)
      .where(
        inArray(
          members.email,
          DEMO_MEMBERS.map((m) => m.email),
        ),
      )
      .all()
      .map((m) => m.email),
  )
  const missing = DEMO_MEMBERS.filter((m) => !existing.has(m.email))
  const hashed = await Promise.all(
    missing.map(async ({ password, ...m }) => ({ ...m, passwordHash: await hasher.hash(password) })),
  )
  database.writeTransaction((tx) => {
    if (hashed.length > 0) tx.insert(members).values(hashed).onConflictDoNothing().run()
    tx.insert(categories).values(DEMO_CATEGORIES).onConflictDoNothing().run()
    tx.insert(products)
      .values(DEMO_PRODUCTS.map((p) => ({ ...p, sellerId: 2, status: 'ON_SALE' as const })))
      .onConflictDoNothing()
      .run()
  })
  return { membersCreated: hashed.length }
}
