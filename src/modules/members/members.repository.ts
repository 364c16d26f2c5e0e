import { count, desc, eq } from 'drizzle-orm'
import { members, type Role } from '../../../db/schema'
import type { QueryDb } from '../../platform/db/read-db'

export type MemberRow = typeof members.$inferSelect
export type NewMemberRow = {
  email: string
  passwordHash: string
  name: string
  phone: string | null
  role: Role
  businessNumber: string | null
}

export async function findMemberById(db: QueryDb, id: number): Promise<MemberRow | undefined> {
  return db.select().from(members).where(eq(members.id, id)).get()
}

export async function findMemberByEmail(db: QueryDb, email: string): Promise<MemberRow | undefined> {
  return db.select().from(members).where(eq(members.email, email)).get()
}

/** Returns undefined when the email is taken (the UNIQUE index decides, not a racy pre-check). */
// Single-statement writes: atomic by themselves on either driver, so one code path (the primary, awaited).

/** undefined when the email is taken (the UNIQUE index decides a race). */
export async function insertMember(db: QueryDb, row: NewMemberRow): Promise<MemberRow | undefined> {
  return db.insert(members).values(row).onConflictDoNothing({ target: members.email }).returning().get()
}

export async function updateMemberProfile(
  db: QueryDb,
  id: number,
  changes: { name?: string; phone?: string | null },
): Promise<MemberRow | undefined> {
  return db
    .update(members)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(members.id, id))
    .returning()
    .get()
}

export async function listMembers(
  db: QueryDb,
  offset: number,
  limit: number,
): Promise<{ rows: MemberRow[]; total: number }> {
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(members)
      .orderBy(desc(members.createdAt), desc(members.id))
      .limit(limit)
      .offset(offset)
      .all(),
    db.select({ n: count() }).from(members).get(),
  ])
  return { rows, total: total?.n ?? 0 }
}
