import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
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
    // the seller's order list walks orders newest first and keeps those holding one of the seller's lines
    index('idx_orders_created').on(t.createdAt, t.id),
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
    index('idx_order_items_seller_order').on(t.sellerId, t.orderId),
    index('idx_order_items_product').on(t.productId),
  ],
)
