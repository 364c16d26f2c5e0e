import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { products } from './catalog'
import { createdAt, sqlList, updatedAt } from './columns'
import { members } from './members'

export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderNumber: text('order_number').notNull().unique(),
    buyerId: integer('buyer_id')
      .notNull()
      .references(() => members.id),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('PENDING'),
    totalAmount: integer('total_amount').notNull(),
    zipCode: text('zip_code').notNull(),
    address: text('address').notNull(),
    addressDetail: text('address_detail'),
    receiverName: text('receiver_name').notNull(),
    receiverPhone: text('receiver_phone').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('orders_status_check', sql`${t.status} in (${sqlList(ORDER_STATUSES)})`),
    check('orders_total_non_negative', sql`${t.totalAmount} >= 0`),
    index('idx_orders_buyer_created').on(t.buyerId, t.createdAt, t.id),
  ],
)

export const orderItems = sqliteTable(
  'order_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    sellerId: integer('seller_id')
      .notNull()
      .references(() => members.id),
    productName: text('product_name').notNull(),
    productPrice: integer('product_price').notNull(),
    quantity: integer('quantity').notNull(),
    subtotal: integer('subtotal').notNull(),
  },
  (t) => [
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
    index('idx_order_items_order').on(t.orderId),
    index('idx_order_items_product').on(t.productId),
  ],
)

/**
 * One part per seller of an order (SPEC §5): the seller's fulfilment status and its subtotal. The order's own
 * status is derived from its parts (CANCELLED when all are; otherwise the least advanced live part) and stored on
 * `orders` in the same transaction as every part move. `created_at` copies the order's, so a seller's order list
 * is one keyset walk of `idx_order_parts_seller_created`. The migration creates it WITHOUT ROWID (one B-tree
 * keyed by the primary key instead of a table plus its key index: fewer pages written per order).
 */
export const orderParts = sqliteTable(
  'order_parts',
  {
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    sellerId: integer('seller_id')
      .notNull()
      .references(() => members.id),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('PENDING'),
    subtotal: integer('subtotal').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.sellerId] }),
    check('order_parts_status_check', sql`${t.status} in (${sqlList(ORDER_STATUSES)})`),
    check('order_parts_subtotal_non_negative', sql`${t.subtotal} >= 0`),
    index('idx_order_parts_seller_created').on(t.sellerId, t.createdAt, t.orderId),
  ],
)
