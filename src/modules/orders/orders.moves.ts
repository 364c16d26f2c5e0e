/**
 * Which parts of an order a move touches and how the mover sees the result (SPEC §4, §5): pure decisions shared by
 * the local write path (orders.service.ts) and the remote one (orders.batches.ts). A caller who takes no part in
 * the order gets a 404, a move that is not theirs to make a 409.
 */
import type { OrderStatus } from '../../../db/schema'
import { AppError } from '../../errors'
import type { DbOrTx } from '../../platform/db/database'
import type { RemoteDb } from '../../platform/db/remote-database'
import type { Principal } from '../auth/principal'
import { orderEvent } from './orders.events'
import type { Order } from './orders.model'
import type { OrderItemRow, OrderPartRow, OrderRow } from './orders.repository'
import { isLive, SELLER_PART_MOVES } from './orders.rules'
import { toOrder, toSellerPart } from './orders.views'

/**
 * Which parts of an order a move touches, and how the mover sees the result. `pick` returns the parts to move
 * (throwing 404 when the caller takes no part in the order, 409 when the move is not theirs to make).
 */
export type MovePlan = {
  to: OrderStatus
  pick(order: OrderRow, parts: OrderPartRow[]): OrderPartRow[]
  view(order: OrderRow, items: OrderItemRow[], parts: OrderPartRow[]): Order
  /** a write that commits with the move or not at all (a payment captured with the order's confirmation) */
  andAlso?: CompanionWrite
}

/**
 * Written in the move's own transaction: on the local file inside its savepoint, on a libSQL server as statements
 * appended to its batch. Both get the order as the mover will see it after the move.
 */
export type CompanionWrite = {
  local(tx: DbOrTx, moved: Order): void
  remote(db: RemoteDb, moved: Order): unknown[]
}

/** The buyer cancels every live part; refused (409) once any part has shipped. */
export function buyerCancel(buyer: Principal, id: number): MovePlan {
  return {
    to: 'CANCELLED',
    pick: (order, parts) => {
      if (order.buyerId !== buyer.memberId) throw notFound(id)
      return refuseUnless(parts.filter(isLive), ['PENDING', 'CONFIRMED'], 'CANCELLED')
    },
    view: toOrder,
  }
}

/**
 * PATCH /sellers/orders/{id}/status. A seller moves its own part (SELLER_PART_MOVES); another seller's id in
 * `sellerId` is refused. An admin moves the part of `sellerId`, or every live part without it. Nobody confirms an
 * order here: only the buyer's captured payment does (POST /orders/{id}/payment, src/modules/payments).
 */
export function statusMove(actor: Principal, id: number, to: OrderStatus, sellerId?: number): MovePlan {
  if (actor.role !== 'ADMIN' && sellerId !== undefined && sellerId !== actor.memberId) {
    throw new AppError('VALIDATION_FAILED', 'A seller moves its own part; sellerId is for admins', {
      errors: [{ field: 'sellerId', message: "must be absent or the caller's own id" }],
    })
  }
  const refuseConfirmation = () => {
    if (to === 'CONFIRMED') {
      throw new AppError(
        'INVALID_ORDER_STATUS_TRANSITION',
        "Only the buyer's payment confirms an order (POST /api/v1/orders/{id}/payment); here parts ship, are " +
          'delivered or are cancelled',
      )
    }
  }
  if (actor.role === 'ADMIN') return adminMove(id, to, sellerId, refuseConfirmation)
  return {
    to,
    pick: (_, parts) => {
      const own = parts.find((part) => part.sellerId === actor.memberId)
      if (!own) throw notFound(id)
      refuseConfirmation()
      return refuseUnless([own], sellerMovesInto(to), to)
    },
    view: (order, items, parts) =>
      toSellerPart(order, items, parts.find((p) => p.sellerId === actor.memberId)!),
  }
}

/** An admin's move, for the seller of `sellerId`'s part or for every live part without it. */
function adminMove(
  id: number,
  to: OrderStatus,
  sellerId: number | undefined,
  refuseConfirmation: () => void,
): MovePlan {
  return {
    to,
    pick: (_, parts) => {
      refuseConfirmation()
      if (sellerId === undefined) return refuseUnless(parts.filter(isLive), sellerMovesInto(to), to)
      const part = parts.find((p) => p.sellerId === sellerId)
      if (!part) throw notFound(id)
      return refuseUnless([part], sellerMovesInto(to), to)
    },
    view: toOrder,
  }
}

/**
 * The unpaid-order expiry (src/modules/payments/unpaid-order-expiry.ts): every live part PENDING → CANCELLED, only
 * while the whole order is still PENDING; paid (or moved) meanwhile, it is a 409 and nothing changes.
 */
export function unpaidExpiry(): MovePlan {
  return {
    to: 'CANCELLED',
    pick: (order, parts) => {
      if (order.status !== 'PENDING') {
        throw new AppError(
          'INVALID_ORDER_STATUS_TRANSITION',
          `An order that is ${order.status} does not expire`,
        )
      }
      return refuseUnless(parts.filter(isLive), ['PENDING'], 'CANCELLED')
    },
    view: toOrder,
  }
}

/** The part statuses from which a seller may move a part to `to`. */
function sellerMovesInto(to: OrderStatus): OrderStatus[] {
  return (Object.keys(SELLER_PART_MOVES) as OrderStatus[]).filter((from) =>
    SELLER_PART_MOVES[from].includes(to),
  )
}

/** The parts, if every one is in one of `from`; otherwise 409 naming the first that is not (or that none is left). */
function refuseUnless(parts: OrderPartRow[], from: readonly OrderStatus[], to: OrderStatus): OrderPartRow[] {
  if (parts.length === 0) {
    throw new AppError('INVALID_ORDER_STATUS_TRANSITION', `Every part of this order is already CANCELLED`)
  }
  const stuck = parts.find((part) => !from.includes(part.status))
  if (stuck) {
    throw new AppError(
      'INVALID_ORDER_STATUS_TRANSITION',
      `The part of seller ${stuck.sellerId} cannot go from ${stuck.status} to ${to}`,
    )
  }
  return parts
}

export function notFound(id: number): AppError {
  return new AppError('ORDER_NOT_FOUND', `No order ${id} of yours`)
}

/** What a move answers, and what its caller does next (metrics, cache): shared by the local and remote paths. */
export type MovedParts = { view: Order; restocked: OrderItemRow[]; isCancelled: boolean }

export function movedParts(
  plan: MovePlan,
  before: OrderRow,
  order: OrderRow,
  items: OrderItemRow[],
  after: OrderPartRow[],
  movedSellers: ReadonlySet<number>,
): MovedParts {
  return {
    view: plan.view(order, items, after),
    restocked: plan.to === 'CANCELLED' ? items.filter((item) => movedSellers.has(item.sellerId)) : [],
    isCancelled: order.status === 'CANCELLED' && before.status !== 'CANCELLED',
  }
}

/** The order.status-changed event of one part's move (SPEC §5): its seller, its lines, the order's status after. */
export function partMovedEvent(order: OrderRow, part: OrderPartRow, to: OrderStatus, lines: OrderItemRow[]) {
  return orderEvent('order.status-changed', {
    orderId: order.id,
    orderNumber: order.orderNumber,
    buyerId: order.buyerId,
    sellerId: part.sellerId,
    from: part.status,
    to,
    orderStatus: order.status,
    lines: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
  })
}
