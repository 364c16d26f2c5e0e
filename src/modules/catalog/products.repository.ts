/**
 * Product queries. Public lists always carry `isPubliclyListed` verbatim, which is what lets SQLite use the
 * partial indexes of db/schema/catalog.ts (a partial index only serves queries that repeat its WHERE term);
 * test/query-plans.test.ts holds every list query to an index search with EXPLAIN QUERY PLAN.
 * The detail read is a prepared statement: it is the hottest query of the service.
 */
import { and, asc, count, desc, eq, gte, inArray, lte, ne, type SQL, sql } from 'drizzle-orm'
import { categories, members, type ProductStatus, productImages, products } from '../../../db/schema'
import type { Db, DbOrTx } from '../../platform/database'
import type { ProductFilters, SortField } from './products.model'

export const isPubliclyListed = sql`${products.status} in ('ON_SALE', 'SOLD_OUT')`

const productColumns = {
  id: products.id,
  sellerId: products.sellerId,
  sellerName: members.name,
  categoryId: products.categoryId,
  categoryName: categories.name,
  name: products.name,
  description: products.description,
  price: products.price,
  stockQuantity: products.stockQuantity,
  status: products.status,
  salesCount: products.salesCount,
  version: products.version,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
}

export type ProductRow = {
  id: number
  sellerId: number
  sellerName: string | null
  categoryId: number | null
  categoryName: string | null
  name: string
  description: string | null
  price: number
  stockQuantity: number
  status: ProductStatus
  salesCount: number
  version: number
  createdAt: Date
  updatedAt: Date
}
export type ImageRow = { id: number; productId: number; imageUrl: string; displayOrder: number }

const SORT_COLUMNS = { createdAt: products.createdAt, price: products.price, salesCount: products.salesCount }

function selectProducts(db: DbOrTx) {
  return db
    .select(productColumns)
    .from(products)
    .leftJoin(members, eq(members.id, products.sellerId))
    .leftJoin(categories, eq(categories.id, products.categoryId))
}

function escapeLike(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

function publicFilterConditions(filters: ProductFilters): SQL {
  const conditions: SQL[] = [isPubliclyListed]
  if (filters.status) conditions.push(eq(products.status, filters.status))
  if (filters.categoryId !== undefined) conditions.push(eq(products.categoryId, filters.categoryId))
  if (filters.sellerId !== undefined) conditions.push(eq(products.sellerId, filters.sellerId))
  if (filters.minPrice !== undefined) conditions.push(gte(products.price, filters.minPrice))
  if (filters.maxPrice !== undefined) conditions.push(lte(products.price, filters.maxPrice))
  if (filters.keyword) {
    const pattern = escapeLike(filters.keyword)
    conditions.push(
      sql`(${products.name} like ${pattern} escape '\\' or ${products.description} like ${pattern} escape '\\')`,
    )
  }
  return and(...conditions)!
}

export class ProductsRepository {
  private readonly byId
  private readonly imagesOfOne

  constructor(private readonly db: Db) {
    this.byId = selectProducts(db)
      .where(eq(products.id, sql.placeholder('id')))
      .prepare()
    this.imagesOfOne = db
      .select({
        id: productImages.id,
        productId: productImages.productId,
        imageUrl: productImages.imageUrl,
        displayOrder: productImages.displayOrder,
      })
      .from(productImages)
      .where(eq(productImages.productId, sql.placeholder('productId')))
      .orderBy(asc(productImages.displayOrder), asc(productImages.id))
      .prepare()
  }

  findProduct(id: number): ProductRow | undefined {
    return this.byId.get({ id })
  }

  findImages(productIds: number[]): ImageRow[] {
    if (productIds.length === 0) return []
    if (productIds.length === 1) return this.imagesOfOne.all({ productId: productIds[0] })
    return this.db
      .select({
        id: productImages.id,
        productId: productImages.productId,
        imageUrl: productImages.imageUrl,
        displayOrder: productImages.displayOrder,
      })
      .from(productImages)
      .where(inArray(productImages.productId, productIds))
      .orderBy(asc(productImages.productId), asc(productImages.displayOrder), asc(productImages.id))
      .all()
  }

  searchPublic(
    filters: ProductFilters,
    sort: { field: SortField; direction: 'asc' | 'desc' },
    offset: number,
    limit: number,
  ): { rows: ProductRow[]; total: number } {
    const where = publicFilterConditions(filters)
    const order = sort.direction === 'asc' ? asc : desc
    const rows = selectProducts(this.db)
      .where(where)
      .orderBy(order(SORT_COLUMNS[sort.field]), order(products.id))
      .limit(limit)
      .offset(offset)
      .all()
    const total = this.db.select({ n: count() }).from(products).where(where).get()?.n ?? 0
    return { rows, total }
  }

  /** Keyset page on (created_at DESC, id DESC), strictly after `after`. Fetches limit + 1 to learn hasNext. */
  cursorPublic(
    filters: ProductFilters,
    after: { createdAtMs: number; id: number } | undefined,
    limit: number,
  ) {
    const conditions = [publicFilterConditions(filters)]
    if (after)
      conditions.push(sql`(${products.createdAt}, ${products.id}) < (${after.createdAtMs}, ${after.id})`)
    return selectProducts(this.db)
      .where(and(...conditions))
      .orderBy(desc(products.createdAt), desc(products.id))
      .limit(limit + 1)
      .all()
  }

  popular(limit: number): ProductRow[] {
    return selectProducts(this.db)
      .where(and(isPubliclyListed, eq(products.status, 'ON_SALE')))
      .orderBy(desc(products.salesCount), desc(products.id))
      .limit(limit)
      .all()
  }

  listBySeller(sellerId: number, offset: number, limit: number): { rows: ProductRow[]; total: number } {
    const where = and(eq(products.sellerId, sellerId), ne(products.status, 'DELETED'))
    const rows = selectProducts(this.db)
      .where(where)
      .orderBy(desc(products.createdAt), desc(products.id))
      .limit(limit)
      .offset(offset)
      .all()
    const total = this.db.select({ n: count() }).from(products).where(where).get()?.n ?? 0
    return { rows, total }
  }
}

// Writes: plain functions over the open transaction (see src/platform/database.ts for why they are synchronous).

export function findProductForUpdate(tx: DbOrTx, id: number) {
  return tx.select().from(products).where(eq(products.id, id)).get()
}

export function insertProduct(tx: DbOrTx, row: typeof products.$inferInsert): number {
  return tx.insert(products).values(row).returning({ id: products.id }).get().id
}

/** Applies `changes` only if the row is still at `expectedVersion`; false when someone else changed it first. */
export function updateProductAtVersion(
  tx: DbOrTx,
  id: number,
  expectedVersion: number,
  changes: Partial<typeof products.$inferInsert>,
): boolean {
  const updated = tx
    .update(products)
    .set({ ...changes, version: sql`${products.version} + 1`, updatedAt: new Date() })
    .where(and(eq(products.id, id), eq(products.version, expectedVersion)))
    .returning({ id: products.id })
    .all()
  return updated.length === 1
}

export function countImages(tx: DbOrTx, productId: number): number {
  return (
    tx.select({ n: count() }).from(productImages).where(eq(productImages.productId, productId)).get()?.n ?? 0
  )
}

export function insertImages(tx: DbOrTx, rows: (typeof productImages.$inferInsert)[]): void {
  if (rows.length > 0) tx.insert(productImages).values(rows).run()
}
