/**
 * Product reads. Each read is ONE statement: seller and category names are scalar subqueries and the images
 * come folded into the row as JSON, so a page costs one query, not one plus an images query (a join is also
 * re-planned by SQLite on every new binding; these primary-key subqueries are not).
 *
 * Drizzle builds each statement once per query *shape* (which filters are present, the sort, cursor or not)
 * with placeholders for the values; src/platform/db/sql-reader.ts runs it and this file maps the value arrays.
 * Building SQL and decoding rows through Drizzle on every request cost more than running the SQL (measured by
 * `bun run bench`). Shapes are bounded (6 optional filters × sorts), so the statement cache is too.
 *
 * The reads run on the connection the repository is built on (ReadDb: the local file, a local replica or a
 * libSQL server): they answer synchronously on bun:sqlite and in a Promise on libSQL, and callers await them.
 *
 * Public lists always carry `isPubliclyListed` verbatim, which is what lets SQLite use the partial indexes of
 * db/schema/catalog.ts (a partial index only serves queries that repeat its WHERE term);
 * test/catalog/query-plans.test.ts holds every list query to an index with EXPLAIN QUERY PLAN.
 */
import { and, asc, count, desc, eq, gte, lte, ne, type SQL, sql } from 'drizzle-orm'
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types'
import { products } from '../../../db/schema'
import type { Awaitable, QueryDb, ReadDb } from '../../platform/db/read-db'
import { type Bindings, createSqlReader, type SqlReader } from '../../platform/db/sql-reader'
import type { CursorPosition } from '../../platform/paging/cursor-codec'
import type { ProductFilters, SortField } from './products.model'

export const isPubliclyListed = sql`${products.status} in ('ON_SALE', 'SOLD_OUT')`

export type ImageRow = { id: number; imageUrl: string; displayOrder: number }

/**
 * The one column list of a product read: the SQL's select list, the row's field names and (through Drizzle's
 * SelectResultFields) its type. Outer columns inside subqueries are written qualified by hand: Drizzle renders a
 * column of a single-table query unqualified ("id"), which inside a subquery would bind to the subquery's table.
 */
const productColumns = {
  id: products.id,
  sellerId: products.sellerId,
  sellerName: sql<string | null>`(select m.name from members m where m.id = products.seller_id)`,
  categoryId: products.categoryId,
  categoryName: sql<string | null>`(select c.name from categories c where c.id = products.category_id)`,
  name: products.name,
  description: products.description,
  price: products.price,
  stockQuantity: products.stockQuantity,
  status: products.status,
  salesCount: products.salesCount,
  version: products.version,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
  // Ordered by a FROM subquery, not by `json_group_array(… order by …)`: a libSQL server (sqld) refuses that
  // aggregate ORDER BY (SQLite 3.44 syntax) when it parses a statement. SQLite keeps a FROM subquery's ORDER BY
  // when the outer query uses an aggregate other than count/min/max (select.c, "ORDER BY … may not be safely
  // omitted"), and the subquery walks idx_product_images_product in that order (no sort).
  images: sql`(
    select json_group_array(json(image)) from (
      select json_object('id', i.id, 'imageUrl', i.image_url, 'displayOrder', i.display_order) as image
      from product_images i where i.product_id = products.id order by i.display_order, i.id))`.mapWith(
    (json: string) => JSON.parse(json) as ImageRow[],
  ),
}

export type ProductRow = SelectResultFields<typeof productColumns>

type ProductReader = SqlReader<typeof productColumns>
type CountReader = SqlReader<{ n: SQL<number> }>

export type Sort = { field: SortField; direction: 'asc' | 'desc' }

const SORT_COLUMNS = { createdAt: products.createdAt, price: products.price, salesCount: products.salesCount }
const FILTER_KEYS = ['status', 'categoryId', 'sellerId', 'minPrice', 'maxPrice', 'keyword'] as const

function escapeLike(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** The WHERE of a public list with one placeholder per present filter (values bound at execution). */
function publicFilterConditions(present: ReadonlySet<string>): SQL {
  const conditions: SQL[] = [isPubliclyListed]
  if (present.has('status')) conditions.push(eq(products.status, sql.placeholder('status')))
  if (present.has('categoryId')) conditions.push(eq(products.categoryId, sql.placeholder('categoryId')))
  if (present.has('sellerId')) conditions.push(eq(products.sellerId, sql.placeholder('sellerId')))
  if (present.has('minPrice')) conditions.push(gte(products.price, sql.placeholder('minPrice')))
  if (present.has('maxPrice')) conditions.push(lte(products.price, sql.placeholder('maxPrice')))
  if (present.has('keyword')) {
    const pattern = sql.placeholder('keyword')
    conditions.push(
      sql`(${products.name} like ${pattern} escape '\\' or ${products.description} like ${pattern} escape '\\')`,
    )
  }
  return and(...conditions)!
}

/** The bound values for `publicFilterConditions`, and the shape key they imply. */
function filterBindings(filters: ProductFilters) {
  const values: Bindings = {}
  for (const key of FILTER_KEYS) {
    const value = filters[key]
    if (value !== undefined) values[key] = key === 'keyword' ? escapeLike(String(value)) : value
  }
  return { values, present: new Set(Object.keys(values)), shape: Object.keys(values).join(',') }
}

export class ProductsRepository {
  private readonly byId: ProductReader
  private readonly popularTop: ProductReader
  private readonly bySeller: ProductReader
  private readonly countBySeller: CountReader
  private readonly readers = new Map<string, ProductReader>()
  private readonly counters = new Map<string, CountReader>()

  constructor(private readonly db: ReadDb) {
    this.byId = this.reader(this.selectProducts().where(eq(products.id, sql.placeholder('id'))))
    this.popularTop = this.reader(
      this.selectProducts()
        .where(and(isPubliclyListed, eq(products.status, 'ON_SALE')))
        .orderBy(desc(products.salesCount), desc(products.id))
        .limit(sql.placeholder('limit')),
    )
    const ownedNotDeleted = and(
      eq(products.sellerId, sql.placeholder('sellerId')),
      ne(products.status, 'DELETED'),
    )
    this.bySeller = this.reader(
      this.selectProducts()
        .where(ownedNotDeleted)
        .orderBy(desc(products.createdAt), desc(products.id))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset')),
    )
    this.countBySeller = this.counter(ownedNotDeleted)
  }

  findProduct(id: number): Awaitable<ProductRow | undefined> {
    return this.byId.firstRow({ id })
  }

  async searchPublic(
    filters: ProductFilters,
    sort: Sort,
    offset: number,
    limit: number,
  ): Promise<{ rows: ProductRow[]; total: number }> {
    const { values, present, shape } = filterBindings(filters)
    const order = sort.direction === 'asc' ? asc : desc
    const page = this.readerFor(`search|${sort.field},${sort.direction}|${shape}`, () =>
      this.selectProducts()
        .where(publicFilterConditions(present))
        .orderBy(order(SORT_COLUMNS[sort.field]), order(products.id))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset')),
    )
    let total = this.counters.get(shape)
    if (!total) {
      total = this.counter(publicFilterConditions(present))
      this.counters.set(shape, total)
    }
    // both statements start before either is awaited: on libSQL, two requests in flight at once
    const [rows, count] = await Promise.all([page.rows({ ...values, limit, offset }), total.firstRow(values)])
    return { rows, total: count?.n ?? 0 }
  }

  /** Keyset page on (created_at DESC, id DESC), strictly after `after`. Fetches limit + 1 to learn hasNext. */
  cursorPublic(
    filters: ProductFilters,
    after: CursorPosition | undefined,
    limit: number,
  ): Awaitable<ProductRow[]> {
    const { values, present, shape } = filterBindings(filters)
    const page = this.readerFor(`cursor|${after ? 'after' : 'first'}|${shape}`, () => {
      const where = publicFilterConditions(present)
      const afterPosition = sql`(${products.createdAt}, ${products.id}) < (${sql.placeholder('afterCreatedAt')}, ${sql.placeholder('afterId')})`
      return this.selectProducts()
        .where(after ? and(where, afterPosition) : where)
        .orderBy(desc(products.createdAt), desc(products.id))
        .limit(sql.placeholder('limit'))
    })
    const position: Bindings = after ? { afterCreatedAt: after.createdAtMs, afterId: after.id } : {}
    return page.rows({ ...values, ...position, limit: limit + 1 })
  }

  popular(limit: number): Awaitable<ProductRow[]> {
    return this.popularTop.rows({ limit })
  }

  async listBySeller(
    sellerId: number,
    offset: number,
    limit: number,
  ): Promise<{ rows: ProductRow[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.bySeller.rows({ sellerId, limit, offset }),
      this.countBySeller.firstRow({ sellerId }),
    ])
    return { rows, total: count?.n ?? 0 }
  }

  /** Every product id of a seller, any status (what a change of the seller's name touches). */
  async productIdsOfSeller(sellerId: number): Promise<number[]> {
    const rows = await this.db
      .select({ id: products.id })
      .from(products)
      .where(eq(products.sellerId, sellerId))
      .all()
    return rows.map((row) => row.id)
  }

  private selectProducts() {
    return this.db.select(productColumns).from(products)
  }

  private reader(query: { toSQL(): { sql: string; params: unknown[] } }): ProductReader {
    return createSqlReader(this.db.$client, query, productColumns)
  }

  private counter(where: SQL | undefined): CountReader {
    const fields = { n: count() }
    return createSqlReader(this.db.$client, this.db.select(fields).from(products).where(where), fields)
  }

  private readerFor(
    key: string,
    build: () => { toSQL(): { sql: string; params: unknown[] } },
  ): ProductReader {
    let reader = this.readers.get(key)
    if (!reader) {
      reader = this.reader(build())
      this.readers.set(key, reader)
    }
    return reader
  }
}

// Writes: plain functions over the open transaction (see src/platform/db/database.ts for why they are synchronous).

export async function findProductForUpdate(db: QueryDb, id: number) {
  return db.select().from(products).where(eq(products.id, id)).get()
}

export async function insertProduct(db: QueryDb, row: typeof products.$inferInsert): Promise<number> {
  return (await db.insert(products).values(row).returning({ id: products.id }).get())!.id
}

/** Applies `changes` only if the row is still at `expectedVersion`; false when someone else changed it first. */
export async function updateProductAtVersion(
  db: QueryDb,
  id: number,
  expectedVersion: number,
  changes: Partial<typeof products.$inferInsert>,
): Promise<boolean> {
  const updated = await db
    .update(products)
    .set({ ...changes, version: sql`${products.version} + 1`, updatedAt: new Date() })
    .where(and(eq(products.id, id), eq(products.version, expectedVersion)))
    .returning({ id: products.id })
    .all()
  return updated.length === 1
}

export type NewImage = { imageUrl: string; contentType: string; sizeBytes: number }

/**
 * Adds `images` after the product's existing ones only if it then holds at most `max`: one INSERT … SELECT whose
 * WHERE counts the images already there, so the check and the insert are one atomic statement on either driver
 * (two uploads racing can never pass `max` together). False when refused.
 */
export async function insertImagesWithin(
  db: QueryDb,
  productId: number,
  images: NewImage[],
  max: number,
): Promise<boolean> {
  const rows = images.map(
    (image, i) => sql`(${image.imageUrl}, ${image.contentType}, ${image.sizeBytes}, ${i})`,
  )
  const inserted = await db.all(sql`
    with existing(n) as (select count(*) from product_images where product_id = ${productId})
    insert into product_images (product_id, image_url, content_type, size_bytes, display_order)
    select ${productId}, v.column1, v.column2, v.column3, existing.n + v.column4
    from (values ${sql.join(rows, sql`, `)}) v, existing
    where existing.n + ${images.length} <= ${max}
    returning id`)
  return inserted.length === images.length
}

/** The ids of the publicly listed products, oldest first, at most `limit` (what a recommender may suggest). */
export async function visibleProductIds(db: ReadDb, limit = 10_000): Promise<number[]> {
  const rows = await db
    .select({ id: products.id })
    .from(products)
    .where(isPubliclyListed)
    .orderBy(asc(products.id))
    .limit(limit)
  return rows.map((row) => row.id)
}
