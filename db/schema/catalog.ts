import { sql } from 'drizzle-orm'
import { type AnySQLiteColumn, check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { createdAt, sqlList, updatedAt } from './columns'
import { members } from './members'

export const PRODUCT_STATUSES = ['DRAFT', 'ON_SALE', 'SOLD_OUT', 'DELETED'] as const
export type ProductStatus = (typeof PRODUCT_STATUSES)[number]
export const MAX_PRICE = 1_000_000_000

export const categories = sqliteTable(
  'categories',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    parentId: integer('parent_id').references((): AnySQLiteColumn => categories.id),
    displayOrder: integer('display_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('idx_categories_display_order').on(t.displayOrder, t.id)],
)

// The public predicate, written once: the partial indexes below are only usable by queries that repeat it
// verbatim, which the repository does through `isPubliclyListed`.
const publicOnly = sql`status in ('ON_SALE', 'SOLD_OUT')`

export const products = sqliteTable(
  'products',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sellerId: integer('seller_id')
      .notNull()
      .references(() => members.id),
    categoryId: integer('category_id').references(() => categories.id),
    name: text('name').notNull(),
    description: text('description'),
    price: integer('price').notNull(),
    stockQuantity: integer('stock_quantity').notNull().default(0),
    status: text('status', { enum: PRODUCT_STATUSES }).notNull().default('DRAFT'),
    salesCount: integer('sales_count').notNull().default(0),
    /** Optimistic-concurrency version, sent as the ETag; bumped by every owner edit and every stock move. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('products_stock_non_negative', sql`${t.stockQuantity} >= 0`),
    check('products_price_range', sql`${t.price} between 0 and ${sql.raw(String(MAX_PRICE))}`),
    check('products_sales_non_negative', sql`${t.salesCount} >= 0`),
    check('products_status_check', sql`${t.status} in (${sqlList(PRODUCT_STATUSES)})`),
    // Keyset pages and the default "newest first" search walk this index (backwards: SQLite scans an index in
    // either direction, so no DESC is needed) and stop after LIMIT rows. The trailing status makes it covering
    // for the public count(*) (totalElements): SQLite does not drop the `status in (...)` term just because the
    // partial index implies it, so without status here, once ANALYZE has run (seed:bulk does), it counts by
    // scanning the whole table. Status as a leading column instead would lure `status = ?` queries (popular)
    // into sorting every match (test/catalog/query-plans.test.ts).
    index('idx_products_public_created').on(t.createdAt, t.id, t.status).where(publicOnly),
    index('idx_products_public_price').on(t.price, t.id).where(publicOnly),
    index('idx_products_public_sales').on(t.salesCount, t.id).where(publicOnly),
    index('idx_products_public_category').on(t.categoryId, t.createdAt, t.id).where(publicOnly),
    // The seller's own list (all statuses but DELETED) and the sellerId filter.
    index('idx_products_seller_created').on(t.sellerId, t.createdAt, t.id),
  ],
)

export const productImages = sqliteTable(
  'product_images',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    imageUrl: text('image_url').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    displayOrder: integer('display_order').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('idx_product_images_product').on(t.productId, t.displayOrder)],
)
