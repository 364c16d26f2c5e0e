import { asc, eq } from 'drizzle-orm'
import { categories } from '../../../db/schema'
import type { DbOrTx } from '../../platform/db/database'

export type CategoryRow = typeof categories.$inferSelect

export function listCategories(db: DbOrTx): CategoryRow[] {
  return db.select().from(categories).orderBy(asc(categories.displayOrder), asc(categories.id)).all()
}

export function findCategory(db: DbOrTx, id: number): CategoryRow | undefined {
  return db.select().from(categories).where(eq(categories.id, id)).get()
}

export function insertCategory(
  db: DbOrTx,
  row: { name: string; parentId: number | null; displayOrder: number },
): CategoryRow {
  return db.insert(categories).values(row).returning().get()
}
