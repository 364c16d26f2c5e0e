/**
 * Orders: all-or-nothing placement with atomic stock, idempotency keys, and the status lifecycle of SPEC §5.
 * Every write is one synchronous transaction (src/platform/db/database.ts): the idempotency claim, the stock
 * decrements (in ascending product id, so two multi-line orders always lock in the same order), the order, its
 * lines, its parts (one per seller), its outbox event and the stored response commit together or not at all.
 * Moves act on parts (orders.rules.ts): a seller moves its own part, the buyer's cancel moves every part, and the
 * order's status is re-derived from its parts in the same transaction, with one order.status-changed event per
 * part moved. Somebody else's order is a 404 (never revealing that it exists); a move outside the rules is a 409.
 */
import type { OrderStatus } from '../../../db/schema'
import { AppError } from '../../errors'
import type { DatabaseHandle, DbOrTx } from '../../platform/db/database'
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotentRequest,
} from '../../platform/db/idempotency'
import type { ReadRouter } from '../../platform/db/read-routing'
import { outboxAppender } from '../../platform/events/outbox'
import type { OrderMetrics } from '../../platform/observability/metrics'
import type { CursorCodec, CursorPosition } from '../../platform/paging/cursor-codec'
import type { CursorPaged } from '../../platform/paging/pages'
import type { Principal } from '../auth/principal'
import type { CatalogCache } from '../catalog/catalog-cache'
import { orderEvent } from './orders.events'
import type { CreateOrder, Order, PlacedOrder } from './orders.model'
import { buyerCancel, type MovePlan, movedParts, notFound, partMovedEvent, statusMove } from './orders.moves'
import {
  findOrder,
  findOrderItems,
  findOrderPart,
  findOrderParts,
  findProductStatus,
  listBuyerOrders,
  listSellerParts,
  movePart,
  type OrderRow,
  type PlacementStatements,
  placementStatements,
  type ReservedLine,
  returnStock,
  setOrderStatus,
} from './orders.repository'
import {
  derivedOrderStatus,
  lineRefusal,
  MAX_LINE_QUANTITY,
  newOrderNumber,
  subtotalsBySeller,
} from './orders.rules'
import { toOrder, toSellerPart } from './orders.views'

/**
 * Lines for one product merged, in ascending product id. A merged quantity is bounded like a single line
 * (1..MAX_LINE_QUANTITY), so two lines of 1,000 cannot order 2,000 of one product.
 */
export function mergeLines(lines: CreateOrder['orderItems']): { productId: number; quantity: number }[] {
  const merged = new Map<number, number>()
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity)
  const overLimit = [...merged].filter(([, quantity]) => quantity > MAX_LINE_QUANTITY)
  if (overLimit.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'Lines of one product add up to more than one line may hold', {
      errors: overLimit.map(([productId, quantity]) => ({
        field: 'orderItems',
        message: `product ${productId}: merged quantity ${quantity} exceeds ${MAX_LINE_QUANTITY}`,
      })),
    })
  }
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

  // prepared once: writeTransaction runs on database.db's connection, the one these statements belong to; every
  // order event goes through the one appender, inside the transaction of the change it announces
  private readonly placement: PlacementStatements
  private readonly appendOutboxEvent: ReturnType<typeof outboxAppender>

  /** With `idempotency`, the key is claimed for the buyer (keys are scoped per member) with the order itself. */
  async placeOrder(
    buyer: Principal,
    input: CreateOrder,
    idempotency?: IdempotentRequest,
  ): Promise<PlacedOrder> {
    const claim = idempotency && { memberId: buyer.memberId, ...idempotency }
    const stopTimer = this.metrics.creationSeconds.startTimer()
    try {
      const lines = mergeLines(input.orderItems)
      const placed = this.database.writeTransaction((tx): PlacedOrder => {
        const replay = claim && claimIdempotencyKey(tx, claim)
        if (replay) return { order: replay.body as Order, isReplay: true }
        const order = this.createOrder(tx, buyer.memberId, lines, input.shippingAddress)
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

  /**
   * The whole order for its buyer and admins; a seller of one of its lines sees only its own part. Orders are read
   * from the primary (a buyer reads the order just placed).
   */
  async getOrder(viewer: Principal, id: number): Promise<Order> {
    const db = this.reads.primary
    const row = await findOrder(db, id)
    if (row && (viewer.role === 'ADMIN' || row.buyerId === viewer.memberId)) {
      const [items, parts] = await Promise.all([findOrderItems(db, [id]), findOrderParts(db, [id])])
      return toOrder(row, items, parts)
    }
    const part = row && viewer.role === 'SELLER' ? await findOrderPart(db, id, viewer.memberId) : undefined
    if (!row || !part) throw notFound(id)
    return toSellerPart(row, await findOrderItems(db, [id]), part)
  }

  async listMyOrders(
    buyer: Principal,
    cursor: string | undefined,
    limit: number,
  ): Promise<CursorPaged<Order>> {
    const db = this.reads.primary
    const scope = { scope: 'buyer', memberId: buyer.memberId }
    const page = await this.page(scope, cursor, limit, (after) =>
      listBuyerOrders(db, buyer.memberId, after, limit),
    )
    if (page.items.length === 0) return { ...page, items: [] }
    const ids = page.items.map((row) => row.id)
    const [items, parts] = await Promise.all([findOrderItems(db, ids), findOrderParts(db, ids)])
    const lines = Map.groupBy(items, (line) => line.orderId)
    const partsOf = Map.groupBy(parts, (part) => part.orderId)
    return {
      ...page,
      items: page.items.map((row) => toOrder(row, lines.get(row.id) ?? [], partsOf.get(row.id) ?? [])),
    }
  }

  /** The seller's parts of the orders holding its lines, newest first; never another seller's lines. */
  async listSellerOrders(
    seller: Principal,
    cursor: string | undefined,
    limit: number,
  ): Promise<CursorPaged<Order>> {
    const db = this.reads.primary
    const scope = { scope: 'seller', memberId: seller.memberId }
    const page = await this.page(scope, cursor, limit, async (after) =>
      (await listSellerParts(db, seller.memberId, after, limit)).map(({ order, part }) => ({
        ...order,
        part,
      })),
    )
    if (page.items.length === 0) return { ...page, items: [] }
    const items = await findOrderItems(
      db,
      page.items.map((row) => row.id),
    )
    const lines = Map.groupBy(items, (line) => line.orderId)
    return { ...page, items: page.items.map((row) => toSellerPart(row, lines.get(row.id) ?? [], row.part)) }
  }

  /** The buyer cancels every part; refused (409) once any part has shipped. The stock comes back exactly once. */
  cancelOrder(buyer: Principal, id: number): Promise<Order> {
    return this.moveParts(buyer, id, buyerCancel(buyer, id))
  }

  /**
   * PATCH /sellers/orders/{id}/status. A seller moves its own part (SELLER_PART_MOVES); another seller's id in
   * `sellerId` is refused. An admin moves the part of `sellerId`, or every live part without it. CONFIRMED is an
   * order-wide move only an admin may make, standing in for the payment that will confirm orders.
   */
  changeOrderStatus(actor: Principal, id: number, to: OrderStatus, sellerId?: number): Promise<Order> {
    return this.moveParts(actor, id, statusMove(actor, id, to, sellerId))
  }

  /**
   * One write transaction: the picked parts move, CANCELLED gives each part's stock back, the order's status is
   * re-derived from all its parts, and each moved part writes its own order.status-changed event naming its
   * seller and lines.
   */
  private async moveParts(actor: Principal, id: number, plan: MovePlan): Promise<Order> {
    const { to } = plan
    const result = this.database.writeTransaction((tx) => {
      const current = findOrder(tx, id)
      if (!current) throw notFound(id)
      const parts = findOrderParts(tx, [id])
      const picked = plan.pick(current, parts)
      const items = findOrderItems(tx, [id])
      const now = new Date()
      const moved = new Map(picked.map((part) => [part.sellerId, movePart(tx, part, to, now)!]))
      const after = parts.map((part) => moved.get(part.sellerId) ?? part)
      const order = setOrderStatus(tx, id, derivedOrderStatus(after), now)
      for (const part of picked) {
        const lines = items.filter((item) => item.sellerId === part.sellerId)
        if (to === 'CANCELLED') for (const line of lines) returnStock(tx, line.productId, line.quantity)
        this.appendOutboxEvent(partMovedEvent(order, part, to, lines))
      }
      return movedParts(plan, current, order, items, after, new Set(moved.keys()))
    })
    this.reads.recordWrite(actor.memberId)
    if (result.isCancelled) this.metrics.cancelled.inc()
    if (result.restocked.length > 0) {
      await this.catalogCache.productsChanged(result.restocked.map((item) => item.productId))
    }
    return result.view
  }

  private createOrder(
    tx: DbOrTx,
    buyerId: number,
    lines: { productId: number; quantity: number }[],
    address: CreateOrder['shippingAddress'],
  ): Order {
    const reserved: ReservedLine[] = lines.map(
      (line) => this.placement.takeStock(line.productId, line.quantity) ?? refuseLine(tx, line),
    )
    const totalAmount = reserved.reduce((sum, line) => sum + line.price * line.quantity, 0)
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
    const parts = this.placement.insertOrderParts(order, subtotalsBySeller(items))
    this.appendOutboxEvent(
      orderEvent('order.created', {
        orderId: order.id,
        orderNumber: order.orderNumber,
        buyerId,
        totalAmount,
        items: items.map((i) => ({ productId: i.productId, sellerId: i.sellerId, quantity: i.quantity })),
      }),
    )
    return toOrder(order, items, parts)
  }

  private async page<R extends OrderRow>(
    scope: Record<string, unknown>,
    cursor: string | undefined,
    limit: number,
    fetch: (after: CursorPosition | undefined) => Promise<R[]>,
  ) {
    const rows = await fetch(this.cursors.startOf(cursor, scope))
    return this.cursors.pageOf(rows, limit, scope, (row) => ({
      createdAtMs: row.createdAt.getTime(),
      id: row.id,
    }))
  }
}

/** Why a line could not be taken: the product does not exist for buyers (404) or has too little stock (409). */
function refuseLine(tx: DbOrTx, line: { productId: number; quantity: number }): never {
  // the conditional UPDATE took nothing: the product's row, read in the same transaction, says why
  throw (
    lineRefusal(line, findProductStatus(tx, line.productId)) ??
    new Error('a line was refused but is available')
  )
}
