/**
 * Order queries. The stock statements are the heart of the guide's Phase 1: one conditional UPDATE per line,
 * `stock_quantity >= :q AND status = 'ON_SALE'` in its WHERE, so the check and the decrement are one atomic
 * step and no read-then-write race can oversell. Every function runs inside the caller's write transaction.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { type OrderStatus, orderItems, orders, products } from '../../../db/schema'
import type { DbOrTx } from '../../platform/database'

export type OrderRow = typeof orders.$inferSelect
export type OrderItemRow = typeof orderItems.$inferSelect
export type ReservedLine = {
  productId: number
  sellerId: number
  name: string
  price: number
  quantity: number
}

/**
 * Takes `quantity` from the product's stock if, and only if, that much is there and it is on sale; reaching 0
 * makes it SOLD_OUT. Returns the snapshot the order line keeps, or undefined when nothing was taken.
 */
export function takeStock(tx: DbOrTx, productId: number, quantity: number): ReservedLine | undefined {
  const row = tx
    .update(products)
    .set({
      stockQuantity: sql`${products.stockQuantity} - ${quantity}`,
      salesCount: sql`${products.salesCount} + ${quantity}`,
      status: sql`case when ${products.stockQuantity} - ${quantity} = 0 then 'SOLD_OUT' else ${products.status} end`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(products.id, productId),
        sql`${products.stockQuantity} >= ${quantity}`,
        eq(products.status, 'ON_SALE'),
      ),
    )
    .returning({ sellerId: products.sellerId, name: products.name, price: products.price })
    .get()
  return row && { productId, quantity, ...row }
}

/** Gives stock back (a cancel); a SOLD_OUT product is on sale again. DRAFT and DELETED keep their status. */
export function returnStock(tx: DbOrTx, productId: number, quantity: number): void {
  tx.update(products)
    .set({
      stockQuantity: sql`${products.stockQuantity} + ${quantity}`,
      salesCount: sql`max(${products.salesCount} - ${quantity}, 0)`,
      status: sql`case when ${products.status} = 'SOLD_OUT' then 'ON_SALE' else ${products.status} end`,
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

export function insertOrder(tx: DbOrTx, row: typeof orders.$inferInsert): OrderRow {
  return tx.insert(orders).values(row).returning().get()
}

export function insertOrderItems(tx: DbOrTx, rows: (typeof orderItems.$inferInsert)[]): OrderItemRow[] {
  return tx.insert(orderItems).values(rows).returning().all()
}

export function findOrder(db: DbOrTx, id: number): OrderRow | undefined {
  return db.select().from(orders).where(eq(orders.id, id)).get()
}

export function findOrderItems(db: DbOrTx, orderIds: number[]): OrderItemRow[] {
  if (orderIds.length === 0) return []
  return db
    .select()
    .from(orderItems)
    .where(inArray(orderItems.orderId, orderIds))
    .orderBy(orderItems.id)
    .all()
}

/** Moves the order from one of `from` to `to`; undefined when it was not in one of them (someone moved first). */
export function moveOrderStatus(
  tx: DbOrTx,
  id: number,
  from: readonly OrderStatus[],
  to: OrderStatus,
): OrderRow | undefined {
  return tx
    .update(orders)
    .set({ status: to, updatedAt: new Date() })
    .where(and(eq(orders.id, id), inArray(orders.status, [...from])))
    .returning()
    .get()
}

type After = { createdAtMs: number; id: number } | undefined

const afterPosition = (after: After) =>
  after ? sql`(${orders.createdAt}, ${orders.id}) < (${after.createdAtMs}, ${after.id})` : undefined

/** The buyer's orders, newest first, limit + 1 rows. */
export function listBuyerOrders(db: DbOrTx, buyerId: number, after: After, limit: number): OrderRow[] {
  return db
    .select()
    .from(orders)
    .where(and(eq(orders.buyerId, buyerId), afterPosition(after)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1)
    .all()
}

/** Orders holding at least one line of `sellerId`, newest first, limit + 1 rows. */
export function listSellerOrders(db: DbOrTx, sellerId: number, after: After, limit: number): OrderRow[] {
  const mine = db
    .select({ orderId: orderItems.orderId })
    .from(orderItems)
    .where(eq(orderItems.sellerId, sellerId))
  return db
    .select()
    .from(orders)
    .where(and(inArray(orders.id, mine), afterPosition(after)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1)
    .all()
}

export function isSellerOfOrder(db: DbOrTx, orderId: number, sellerId: number): boolean {
  return (
    db
      .select({ id: orderItems.id })
      .from(orderItems)
      .where(and(eq(orderItems.orderId, orderId), eq(orderItems.sellerId, sellerId)))
      .limit(1)
      .get() !== undefined
  )
}
