/**
 * Orders: all-or-nothing placement with atomic stock, idempotency keys, and the status lifecycle of SPEC §5.
 * The writes are atomic on either driver (OrderWrites: one local transaction, orders.transactions.ts, or one
 * batch on a libSQL server, orders.batches.ts): the idempotency claim, the stock, the order, its lines, its parts
 * (one per seller), its outbox event and the stored response commit together or not at all.
 * Moves act on parts (orders.rules.ts): a seller moves its own part, the buyer's cancel moves every part, and the
 * order's status is re-derived from its parts in the same write, with one order.status-changed event per
 * part moved. Somebody else's order is a 404 (never revealing that it exists); a move outside the rules is a 409.
 */
import type { OrderStatus } from '../../../db/schema'
import { AppError, appErrorIn } from '../../errors'
import type { IdempotentRequest } from '../../platform/db/idempotency'
import type { ReadRouter } from '../../platform/db/read-routing'
import type { OrderMetrics } from '../../platform/observability/metrics'
import type { CursorCodec, CursorPosition } from '../../platform/paging/cursor-codec'
import type { CursorPaged } from '../../platform/paging/pages'
import type { Principal } from '../auth/principal'
import type { CatalogCache } from '../catalog/catalog-cache'
import type { CreateOrder, Order, OrderWrites, PlacedOrder } from './orders.model'
import { buyerCancel, type MovePlan, notFound, statusMove } from './orders.moves'
import {
  findOrder,
  findOrderItems,
  findOrderPart,
  findOrderParts,
  listBuyerOrders,
  listSellerParts,
  type OrderRow,
} from './orders.repository'
import { MAX_LINE_QUANTITY } from './orders.rules'
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
    private readonly writes: OrderWrites,
    private readonly cursors: CursorCodec,
    private readonly metrics: OrderMetrics,
    private readonly reads: ReadRouter,
    private readonly catalogCache: CatalogCache,
  ) {}

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
      const placed = await this.writes.place(buyer.memberId, lines, input.shippingAddress, claim)
      this.reads.recordWrite(buyer.memberId) // the buyer's next catalog read must show the stock just taken
      if (!placed.isReplay) {
        this.metrics.created.inc()
        await this.catalogCache.productsChanged(placed.order.orderItems.map((item) => item.productId))
      }
      return placed
    } catch (error) {
      const reason = appErrorIn(error)?.code ?? 'INTERNAL_ERROR'
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
   * `sellerId` is refused. An admin moves the part of `sellerId`, or every live part without it. Nobody confirms
   * here: a captured payment does (src/modules/payments).
   */
  changeOrderStatus(actor: Principal, id: number, to: OrderStatus, sellerId?: number): Promise<Order> {
    return this.moveParts(actor, id, statusMove(actor, id, to, sellerId))
  }

  /**
   * One atomic write (orders.transactions.ts, orders.batches.ts): the picked parts move, CANCELLED gives each
   * part's stock back (and owes a paid part's refund), the order's status is re-derived from all its parts, and
   * each moved part writes its own order.status-changed event naming its seller and lines. Then the aftermath:
   * the actor reads its write, cancellations are counted, the restocked products leave the cache. Also the way
   * payments confirm and the unpaid-order expiry cancels (src/modules/payments).
   */
  async moveParts(actor: Pick<Principal, 'memberId'>, id: number, plan: MovePlan): Promise<Order> {
    const result = await this.writes.moveParts(id, plan)
    this.reads.recordWrite(actor.memberId)
    if (result.isCancelled) this.metrics.cancelled.inc()
    if (result.restocked.length > 0) {
      await this.catalogCache.productsChanged(result.restocked.map((item) => item.productId))
    }
    return result.view
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
