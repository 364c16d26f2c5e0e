/**
 * Order queries. The stock statements are the heart of the guide's Phase 1: one conditional UPDATE per line,
 * `stock_quantity >= :q AND status = 'ON_SALE'` in its WHERE, so the check and the decrement are one atomic
 * step and no read-then-write race can oversell. Every write runs inside the caller's write transaction.
 * Moving stock bumps the product's version (its ETag) like an owner edit does: otherwise a seller's PATCH of
 * stockQuantity with If-Match from a read taken before some sales would pass and silently undo them.
 *
 * The order reads serve both sides: inside a write transaction on its synchronous connection, and for the order
 * endpoints on a ReadDb (local or libSQL), where they are awaited. They are generic in the database's result
 * kind, so one query answers a value on the transaction and a value or a Promise on a ReadDb.
 */
import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { type OrderStatus, orderItems, orderParts, orders, products } from '../../../db/schema'
import type { Db, DbOrTx } from '../../platform/db/database'
import { inKindOf, type QueryDb, type QueryResult, type ResultKind } from '../../platform/db/read-db'
import type { CursorPosition } from '../../platform/paging/cursor-codec'

export type OrderRow = typeof orders.$inferSelect
export type OrderItemRow = typeof orderItems.$inferSelect
export type OrderPartRow = typeof orderParts.$inferSelect
export type ReservedLine = {
  productId: number
  sellerId: number
  name: string
  price: number
  quantity: number
}

const p = sql.placeholder

/**
 * The statements of a placement, built by Drizzle and compiled by SQLite once per connection, then run with
 * each order's values inside its write transaction (they belong to `db`'s connection, the one writeTransaction
 * uses). Building and compiling them for every order cost about twice their execution (docs/performance.md).
 *
 * The stock UPDATE leaves `status` out of its SET: the four public partial indexes are `WHERE status in (…)`,
 * so any assignment to status (even `case … else status end`) makes SQLite rewrite all four entries, 3 more
 * pages per sale in the WAL (5 → 2 for the UPDATE, 17 → 14 for a whole order). The rare sale that empties
 * the stock marks the product SOLD_OUT with a second UPDATE in the same transaction.
 */
export function placementStatements(db: Db) {
  const take = db
    .update(products)
    .set({
      stockQuantity: sql`${products.stockQuantity} - ${p('quantity')}`,
      salesCount: sql`${products.salesCount} + ${p('quantity')}`,
      version: sql`${products.version} + 1`,
      updatedAt: sql`${p('nowMs')}`,
    })
    .where(
      and(
        eq(products.id, p('productId')),
        sql`${products.stockQuantity} >= ${p('quantity')}`,
        eq(products.status, 'ON_SALE'),
      ),
    )
    .returning({
      sellerId: products.sellerId,
      name: products.name,
      price: products.price,
      stockQuantity: products.stockQuantity,
    })
    .prepare()
  const soldOut = db
    .update(products)
    .set({ status: 'SOLD_OUT' })
    .where(and(eq(products.id, p('productId')), eq(products.stockQuantity, 0)))
    .prepare()
  const order = db
    .insert(orders)
    .values({
      orderNumber: p('orderNumber'),
      buyerId: p('buyerId'),
      status: p('status'),
      totalAmount: p('totalAmount'),
      zipCode: p('zipCode'),
      address: p('address'),
      addressDetail: p('addressDetail'),
      receiverName: p('receiverName'),
      receiverPhone: p('receiverPhone'),
    })
    .returning()
    .prepare()
  const item = db
    .insert(orderItems)
    .values({
      orderId: p('orderId'),
      productId: p('productId'),
      sellerId: p('sellerId'),
      productName: p('productName'),
      productPrice: p('productPrice'),
      quantity: p('quantity'),
      subtotal: p('subtotal'),
    })
    .returning()
    .prepare()
  const part = db
    .insert(orderParts)
    .values({
      orderId: p('orderId'),
      sellerId: p('sellerId'),
      subtotal: p('subtotal'),
      createdAt: p('createdAt'),
      updatedAt: p('createdAt'),
    })
    .prepare()
  return {
    /**
     * Takes `quantity` from the product's stock if, and only if, that much is there and it is on sale; reaching
     * 0 makes it SOLD_OUT. Returns the snapshot the order line keeps, or undefined when nothing was taken.
     */
    takeStock(productId: number, quantity: number): ReservedLine | undefined {
      const row = take.get({ productId, quantity, nowMs: Date.now() })
      if (!row) return undefined
      if (row.stockQuantity === 0) soldOut.run({ productId })
      return { productId, quantity, sellerId: row.sellerId, name: row.name, price: row.price }
    },
    insertOrder(row: NewOrder): OrderRow {
      return order.get({ ...row, addressDetail: row.addressDetail ?? null })!
    },
    /** One row per line, in the given order. */
    insertOrderItems(rows: NewOrderItem[]): OrderItemRow[] {
      return rows.map((row) => item.get(row)!)
    },
    /** One PENDING part per seller, created at the order's own instant (the seller's list is keyed by it). */
    insertOrderParts(order: OrderRow, subtotals: ReadonlyMap<number, number>): OrderPartRow[] {
      return [...subtotals].map(([sellerId, subtotal]) => {
        part.run({ orderId: order.id, sellerId, subtotal, createdAt: order.createdAt })
        const at = order.createdAt
        return { orderId: order.id, sellerId, status: 'PENDING', subtotal, createdAt: at, updatedAt: at }
      })
    },
  }
}
export type PlacementStatements = ReturnType<typeof placementStatements>
type NewOrder = Omit<typeof orders.$inferInsert, 'id' | 'createdAt' | 'updatedAt'> & {
  status: OrderStatus
}
type NewOrderItem = Omit<typeof orderItems.$inferInsert, 'id'>

/** Gives stock back (a cancel); a SOLD_OUT product is on sale again. DRAFT and DELETED keep their status. */
export function returnStock(tx: DbOrTx, productId: number, quantity: number): void {
  tx.update(products)
    .set({
      stockQuantity: sql`${products.stockQuantity} + ${quantity}`,
      salesCount: sql`max(${products.salesCount} - ${quantity}, 0)`,
      status: sql`case when ${products.status} = 'SOLD_OUT' then 'ON_SALE' else ${products.status} end`,
      version: sql`${products.version} + 1`,
      updatedAt: new Date(),
    })
    .where(eq(products.id, productId))
    .run()
}

export function findProductStatus(tx: DbOrTx, productId: number) {
  return tx
    .select({ status: products.status, stockQuantity: products.stockQuantity })
    .from(products)
    .where(eq(products.id, productId))
    .get()
}

export function findOrder<K extends ResultKind>(
  db: QueryDb<K>,
  id: number,
): QueryResult<K, OrderRow | undefined> {
  return inKindOf(db, (db) => db.select().from(orders).where(eq(orders.id, id)).get())
}

/** PENDING orders placed before `cutoff`, oldest first (the unpaid-order expiry's candidates). */
export async function findUnpaidBefore(db: QueryDb, cutoff: Date, limit: number): Promise<OrderRow[]> {
  return db
    .select()
    .from(orders)
    .where(and(eq(orders.status, 'PENDING'), lt(orders.createdAt, cutoff)))
    .orderBy(asc(orders.createdAt), asc(orders.id))
    .limit(limit)
}

/** The lines of these orders, by line id (an empty list selects nothing: Drizzle renders it as `false`). */
export function findOrderItems<K extends ResultKind>(
  db: QueryDb<K>,
  orderIds: number[],
): QueryResult<K, OrderItemRow[]> {
  return inKindOf(db, (db) =>
    db.select().from(orderItems).where(inArray(orderItems.orderId, orderIds)).orderBy(orderItems.id).all(),
  )
}

type After = CursorPosition | undefined

const afterPosition = (after: After) =>
  after ? sql`(${orders.createdAt}, ${orders.id}) < (${after.createdAtMs}, ${after.id})` : undefined

/** The buyer's orders, newest first, limit + 1 rows. */
export async function listBuyerOrders(
  db: QueryDb,
  buyerId: number,
  after: After,
  limit: number,
): Promise<OrderRow[]> {
  return db
    .select()
    .from(orders)
    .where(and(eq(orders.buyerId, buyerId), afterPosition(after)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1)
    .all()
}

/** The parts of these orders, by order then seller. */
export function findOrderParts<K extends ResultKind>(
  db: QueryDb<K>,
  orderIds: number[],
): QueryResult<K, OrderPartRow[]> {
  return inKindOf(db, (db) =>
    db
      .select()
      .from(orderParts)
      .where(inArray(orderParts.orderId, orderIds))
      .orderBy(orderParts.orderId, orderParts.sellerId)
      .all(),
  )
}

export async function findOrderPart(
  db: QueryDb,
  orderId: number,
  sellerId: number,
): Promise<OrderPartRow | undefined> {
  return db
    .select()
    .from(orderParts)
    .where(and(eq(orderParts.orderId, orderId), eq(orderParts.sellerId, sellerId)))
    .get()
}

/** Moves one part from the status it was read in to `to`; undefined when it had moved since. */
export function movePart(
  tx: DbOrTx,
  part: OrderPartRow,
  to: OrderStatus,
  now: Date,
): OrderPartRow | undefined {
  return tx
    .update(orderParts)
    .set({ status: to, updatedAt: now })
    .where(
      and(
        eq(orderParts.orderId, part.orderId),
        eq(orderParts.sellerId, part.sellerId),
        eq(orderParts.status, part.status),
      ),
    )
    .returning()
    .get()
}

/** Stores the order's status (derived from its parts) and the time of the change. */
export function setOrderStatus(tx: DbOrTx, id: number, status: OrderStatus, now: Date): OrderRow {
  return tx.update(orders).set({ status, updatedAt: now }).where(eq(orders.id, id)).returning().get()!
}

export type SellerPartRow = { order: OrderRow; part: OrderPartRow }

/**
 * The seller's parts, newest order first, limit + 1 rows: one keyset walk of idx_order_parts_seller_created
 * (seller_id, created_at, order_id), each joined to its order by primary key.
 */
export async function listSellerParts(
  db: QueryDb,
  sellerId: number,
  after: After,
  limit: number,
): Promise<SellerPartRow[]> {
  const position = after
    ? sql`(${orderParts.createdAt}, ${orderParts.orderId}) < (${after.createdAtMs}, ${after.id})`
    : undefined
  return db
    .select({ order: orders, part: orderParts })
    .from(orderParts)
    .innerJoin(orders, eq(orders.id, orderParts.orderId))
    .where(and(eq(orderParts.sellerId, sellerId), position))
    .orderBy(desc(orderParts.createdAt), desc(orderParts.orderId))
    .limit(limit + 1)
    .all()
}
