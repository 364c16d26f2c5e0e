/**
 * What each caller sees of an order (SPEC §4): its buyer and admins the whole order with every part; a seller of
 * one of its lines only its own part. Plain functions from stored rows to the API's Order.
 */
import type { Order } from './orders.model'
import type { OrderItemRow, OrderPartRow, OrderRow } from './orders.repository'

/** The whole order, as its buyer and admins see it. */
export function toOrder(row: OrderRow, items: OrderItemRow[], parts: OrderPartRow[]): Order {
  return {
    id: row.id,
    orderNumber: row.orderNumber,
    buyerId: row.buyerId,
    status: row.status,
    totalAmount: row.totalAmount,
    shippingAddress: {
      zipCode: row.zipCode,
      address: row.address,
      addressDetail: row.addressDetail,
      receiverName: row.receiverName,
      receiverPhone: row.receiverPhone,
    },
    orderItems: items.map((i) => ({
      id: i.id,
      productId: i.productId,
      sellerId: i.sellerId,
      productName: i.productName,
      productPrice: i.productPrice,
      quantity: i.quantity,
      subtotal: i.subtotal,
    })),
    parts: parts.map((p) => ({
      sellerId: p.sellerId,
      status: p.status,
      subtotal: p.subtotal,
      updatedAt: p.updatedAt.toISOString(),
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/**
 * One seller's part of an order, as that seller sees it: its lines only, its subtotal as the total, its part's
 * status and time of last change. Nothing about the other sellers' lines, totals or progress shows.
 */
export function toSellerPart(row: OrderRow, items: OrderItemRow[], part: OrderPartRow): Order {
  const own = items.filter((item) => item.sellerId === part.sellerId)
  const view = toOrder(row, own, [part])
  return {
    ...view,
    status: part.status,
    totalAmount: part.subtotal,
    updatedAt: view.parts[0]!.updatedAt,
  }
}
