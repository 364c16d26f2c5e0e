/**
 * The pure rules of orders (no I/O, no HTTP, no schemas), shared by the service, the route schemas and the
 * tests: how big an order may be, and orders with several sellers (SPEC §5): an order's lines are grouped into one part per seller,
 * each with its own fulfilment status; which part moves a caller may make, and how the order's own status
 * follows from its parts.
 */
import { randomBytes } from 'node:crypto'
import type { OrderStatus } from '../../../db/schema'
import { AppError } from '../../errors'

export const MAX_ORDER_LINES = 50
/** per line, and per product once lines of one product are merged */
export const MAX_LINE_QUANTITY = 1000

/**
 * The moves a seller makes on its own part. PENDING → CONFIRMED is not among them: only the buyer's payment
 * confirms, and it confirms the whole order (until payments exist, an admin may do it: the stopgap of issue #9).
 */
export const SELLER_PART_MOVES: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
}

/** How far a live part has come; the order shows its least advanced live part. */
const PROGRESS: Record<Exclude<OrderStatus, 'CANCELLED'>, number> = {
  PENDING: 0,
  CONFIRMED: 1,
  SHIPPED: 2,
  DELIVERED: 3,
}

/** CANCELLED when every part is; otherwise the least advanced status among the parts that are not cancelled. */
export function derivedOrderStatus(parts: readonly { status: OrderStatus }[]): OrderStatus {
  let least: Exclude<OrderStatus, 'CANCELLED'> | undefined
  for (const { status } of parts) {
    if (status === 'CANCELLED') continue
    if (least === undefined || PROGRESS[status] < PROGRESS[least]) least = status
  }
  return least ?? 'CANCELLED'
}

export function isLive(part: { status: OrderStatus }): boolean {
  return part.status !== 'CANCELLED'
}

/** Line totals per seller, in the order the sellers first appear. */
export function subtotalsBySeller(lines: readonly { sellerId: number; subtotal: number }[]) {
  const subtotals = new Map<number, number>()
  for (const line of lines) subtotals.set(line.sellerId, (subtotals.get(line.sellerId) ?? 0) + line.subtotal)
  return subtotals
}

/** 16 upper-case hex characters from 64 random bits (SPEC §5). */
/** An order line as stored: the product's name and price at the time of the order, and the line's subtotal. */
export function orderItemOf(
  line: { productId: number; sellerId: number; name: string; price: number; quantity: number },
  orderId: number,
) {
  return {
    orderId,
    productId: line.productId,
    sellerId: line.sellerId,
    productName: line.name,
    productPrice: line.price,
    quantity: line.quantity,
    subtotal: line.price * line.quantity,
  }
}

export function newOrderNumber(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}

/**
 * Why a line cannot be taken from `product` (undefined when it can): 404 when buyers cannot see the product (absent,
 * DRAFT, DELETED), 409 when it is not on sale or has too little stock.
 */
export function lineRefusal(
  line: { productId: number; quantity: number },
  product: { status: string; stockQuantity: number } | undefined,
): AppError | undefined {
  if (!product || product.status === 'DRAFT' || product.status === 'DELETED') {
    return new AppError('PRODUCT_NOT_FOUND', `Product ${line.productId} does not exist`)
  }
  if (product.status === 'ON_SALE' && product.stockQuantity >= line.quantity) return undefined
  const stock = product.status === 'ON_SALE' ? product.stockQuantity : 0
  return new AppError(
    'PRODUCT_OUT_OF_STOCK',
    `Product ${line.productId} has ${stock} in stock; ${line.quantity} requested`,
  )
}
