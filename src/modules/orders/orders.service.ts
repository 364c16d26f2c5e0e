/**
 * Orders: all-or-nothing placement with atomic stock, idempotency keys, and the status lifecycle of SPEC §5.
 * Every write is one synchronous transaction (src/platform/database.ts): the idempotency claim, the stock
 * decrements (in ascending product id, so two multi-line orders always lock in the same order), the order, its
 * lines, its outbox event and the stored response commit together or not at all. Somebody else's order is a
 * 404 (never revealing that it exists); a transition outside the table is a 409.
 */
import { randomBytes } from 'node:crypto'
import type { OrderStatus } from '../../../db/schema'
import { AppError } from '../../errors'
import type { Principal } from '../../http/auth'
import type { CursorCodec, CursorPosition } from '../../platform/cursor-codec'
import type { DatabaseHandle, DbOrTx } from '../../platform/database'
import { type Claim, claimIdempotencyKey, completeIdempotencyKey } from '../../platform/idempotency'
import type { OrderMetrics } from '../../platform/metrics'
import { appendOutboxEvent, outboxAppender } from '../../platform/outbox'
import type { ReadRouter } from '../../platform/read-routing'
import type { CatalogCache } from '../catalog/catalog-cache'
import type { CreateOrder, Order } from './orders.model'
import {
  findOrder,
  findOrderItems,
  findProductStatus,
  isSellerOfOrder,
  listBuyerOrders,
  listSellerOrders,
  moveOrderStatus,
  type OrderItemRow,
  type OrderRow,
  type PlacementStatements,
  placementStatements,
  type ReservedLine,
  returnStock,
} from './orders.repository'

/** The allowed moves (SPEC §5). CANCELLED gives the stock back. */
export const ORDER_TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
}

export type PlacedOrder = { order: Order; isReplay: boolean }
type CursorPage<T> = { items: T[]; nextCursor: string | null; hasNext: boolean }

export function toOrder(row: OrderRow, items: OrderItemRow[]): Order {
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
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/** Lines for one product merged, in ascending product id. */
export function mergeLines(lines: CreateOrder['orderItems']): { productId: number; quantity: number }[] {
  const merged = new Map<number, number>()
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity)
  return [...merged].sort(([a], [b]) => a - b).map(([productId, quantity]) => ({ productId, quantity }))
}

export class OrdersService {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly cursors: CursorCodec,
    private readonly metrics: OrderMetrics,
    private readonly reads: ReadRouter,
    private readonly catalogCache: CatalogCache,
  ) {
    this.placement = placementStatements(database.db)
    this.appendOutboxEvent = outboxAppender(database.db)
  }

  // prepared once: writeTransaction runs on database.db's connection, the one these statements belong to
  private readonly placement: PlacementStatements
  private readonly appendOutboxEvent: ReturnType<typeof outboxAppender>

  async placeOrder(buyer: Principal, input: CreateOrder, claim?: Claim): Promise<PlacedOrder> {
    const stopTimer = this.metrics.creationSeconds.startTimer()
    try {
      const placed = this.database.writeTransaction((tx): PlacedOrder => {
        const replay = claim && claimIdempotencyKey(tx, claim)
        if (replay) return { order: replay.body as Order, isReplay: true }
        const order = this.createOrder(tx, buyer.memberId, input)
        if (claim) completeIdempotencyKey(tx, claim, { status: 201, body: order })
        return { order, isReplay: false }
      })
      this.reads.recordWrite(buyer.memberId) // the buyer's next catalog read must show the stock just taken
      if (!placed.isReplay) {
        this.metrics.created.inc()
        await this.catalogCache.productsChanged(placed.order.orderItems.map((item) => item.productId))
      }
      return placed
    } catch (error) {
      const reason = error instanceof AppError ? error.code : 'INTERNAL_ERROR'
      this.metrics.failed.labels(reason).inc()
      if (reason === 'PRODUCT_OUT_OF_STOCK') this.metrics.stockInsufficient.inc()
      throw error
    } finally {
      stopTimer()
    }
  }

  getOrder(viewer: Principal, id: number): Order {
    const row = findOrder(this.database.db, id)
    if (!row || !this.canSee(viewer, row)) throw new AppError('ORDER_NOT_FOUND', `No order ${id} of yours`)
    return toOrder(row, findOrderItems(this.database.db, [id]))
  }

  listMyOrders(buyer: Principal, cursor: string | undefined, limit: number): CursorPage<Order> {
    return this.page({ scope: 'buyer', memberId: buyer.memberId }, cursor, limit, (after) =>
      listBuyerOrders(this.database.db, buyer.memberId, after, limit),
    )
  }

  listSellerOrders(seller: Principal, cursor: string | undefined, limit: number): CursorPage<Order> {
    return this.page({ scope: 'seller', memberId: seller.memberId }, cursor, limit, (after) =>
      listSellerOrders(this.database.db, seller.memberId, after, limit),
    )
  }

  /** The buyer cancels: from PENDING or CONFIRMED only; the stock comes back exactly once. */
  cancelOrder(buyer: Principal, id: number): Promise<Order> {
    return this.moveOrder(buyer, id, 'CANCELLED', (order) => order.buyerId === buyer.memberId)
  }

  /** A seller of one of the order's lines (or an admin, acting as any seller) moves it forward. */
  changeOrderStatus(actor: Principal, id: number, to: OrderStatus): Promise<Order> {
    return this.moveOrder(
      actor,
      id,
      to,
      (order, tx) => actor.role === 'ADMIN' || isSellerOfOrder(tx, order.id, actor.memberId),
    )
  }

  private async moveOrder(
    actor: Principal,
    id: number,
    to: OrderStatus,
    mayAct: (order: OrderRow, tx: DbOrTx) => boolean,
  ): Promise<Order> {
    const order = this.database.writeTransaction((tx) => {
      const current = findOrder(tx, id)
      if (!current || !mayAct(current, tx)) throw new AppError('ORDER_NOT_FOUND', `No order ${id} of yours`)
      if (!ORDER_TRANSITIONS[current.status].includes(to)) {
        throw new AppError(
          'INVALID_ORDER_STATUS_TRANSITION',
          `An order cannot go from ${current.status} to ${to}`,
        )
      }
      const moved = moveOrderStatus(tx, id, [current.status], to)!
      const items = findOrderItems(tx, [id])
      if (to === 'CANCELLED') for (const item of items) returnStock(tx, item.productId, item.quantity)
      appendOutboxEvent(tx, {
        eventType: 'order.status-changed',
        aggregateType: 'Order',
        aggregateId: String(id),
        payload: {
          orderId: id,
          orderNumber: moved.orderNumber,
          buyerId: moved.buyerId,
          from: current.status,
          to,
        },
      })
      return toOrder(moved, items)
    })
    this.reads.recordWrite(actor.memberId)
    if (to === 'CANCELLED') {
      this.metrics.cancelled.inc()
      await this.catalogCache.productsChanged(order.orderItems.map((item) => item.productId))
    }
    return order
  }

  private createOrder(tx: DbOrTx, buyerId: number, input: CreateOrder): Order {
    const reserved: ReservedLine[] = mergeLines(input.orderItems).map(
      (line) => this.placement.takeStock(line.productId, line.quantity) ?? refuseLine(tx, line),
    )
    const totalAmount = reserved.reduce((sum, line) => sum + line.price * line.quantity, 0)
    const address = input.shippingAddress
    const order = this.placement.insertOrder({
      orderNumber: newOrderNumber(),
      buyerId,
      status: 'PENDING',
      totalAmount,
      zipCode: address.zipCode,
      address: address.address,
      addressDetail: address.addressDetail ?? null,
      receiverName: address.receiverName,
      receiverPhone: address.receiverPhone,
    })
    const items = this.placement.insertOrderItems(
      reserved.map((line) => ({
        orderId: order.id,
        productId: line.productId,
        sellerId: line.sellerId,
        productName: line.name,
        productPrice: line.price,
        quantity: line.quantity,
        subtotal: line.price * line.quantity,
      })),
    )
    this.appendOutboxEvent({
      eventType: 'order.created',
      aggregateType: 'Order',
      aggregateId: String(order.id),
      payload: {
        orderId: order.id,
        orderNumber: order.orderNumber,
        buyerId,
        totalAmount,
        items: items.map((i) => ({ productId: i.productId, sellerId: i.sellerId, quantity: i.quantity })),
      },
    })
    return toOrder(order, items)
  }

  private canSee(viewer: Principal, order: OrderRow): boolean {
    if (viewer.role === 'ADMIN' || order.buyerId === viewer.memberId) return true
    return viewer.role === 'SELLER' && isSellerOfOrder(this.database.db, order.id, viewer.memberId)
  }

  private page(
    scope: Record<string, unknown>,
    cursor: string | undefined,
    limit: number,
    fetch: (after: CursorPosition | undefined) => OrderRow[],
  ): CursorPage<Order> {
    const rows = fetch(this.cursors.startOf(cursor, scope))
    const page = this.cursors.pageOf(rows, limit, scope, (row) => ({
      createdAtMs: row.createdAt.getTime(),
      id: row.id,
    }))
    const lines = findOrderItems(
      this.database.db,
      page.items.map((row) => row.id),
    )
    const byOrder = Map.groupBy(lines, (line) => line.orderId)
    return { ...page, items: page.items.map((row) => toOrder(row, byOrder.get(row.id) ?? [])) }
  }
}

/** Why a line could not be taken: the product does not exist for buyers (404) or has too little stock (409). */
function refuseLine(tx: DbOrTx, line: { productId: number; quantity: number }): never {
  const product = findProductStatus(tx, line.productId)
  if (!product || product.status === 'DRAFT' || product.status === 'DELETED') {
    throw new AppError('PRODUCT_NOT_FOUND', `Product ${line.productId} does not exist`)
  }
  throw new AppError(
    'PRODUCT_OUT_OF_STOCK',
    `Product ${line.productId} has ${product.stockQuantity} in stock; ${line.quantity} requested`,
  )
}

/** 16 upper-case hex characters from 64 random bits (SPEC §5). */
function newOrderNumber(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}
