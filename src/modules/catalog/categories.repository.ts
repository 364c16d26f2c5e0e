import { asc, eq } from 'drizzle-orm'
import { categories } from '../../../db/schema'
import { inKindOf, type QueryDb, type QueryResult, type ResultKind } from '../../platform/db/read-db'

export type CategoryRow = typeof categories.$inferSelect

export async function listCategories(db: QueryDb): Promise<CategoryRow[]> {
  return db.select().from(categories).orderBy(asc(categories.displayOrder), asc(categories.id)).all()
}

/** Synchronous on a local write transaction (a parent checked in the transaction that adds its child). */
export function findCategory<K extends ResultKind>(
  db: QueryDb<K>,
  id: number,
): QueryResult<K, CategoryRow | undefined> {
  return inKindOf(db, (db) => db.select().from(categories).where(eq(categories.id, id)).get())
}

/** One statement: atomic on either driver (the primary, awaited). */
export async function insertCategory(
  db: QueryDb,
  row: { name: string; parentId: number | null; displayOrder: number },
): Promise<CategoryRow> {
  return (await db.insert(categories).values(row).returning().get())!
}
