/**
 * Order writes on the local file: each is one synchronous body run in its own savepoint of a group commit
 * (src/platform/db/group-commit.ts: the orders of one event-loop turn share a BEGIN IMMEDIATE … COMMIT), so it is
 * atomic and isolated by construction: the idempotency claim, the stock decrements (in ascending product
 * id, so two multi-line orders always lock in the same order), the order, its lines, its parts (one per seller),
 * its outbox event and the stored response commit together or not at all. A move reads the order, its parts and
 * lines, moves the picked parts, gives a cancelled part's stock back and re-derives the order's status, all in
 * the same transaction. The libSQL server's variant of the same operations is orders.batches.ts.
 */
import type { DatabaseHandle, DbOrTx } from '../../platform/db/database'
import { type Claim, localIdempotency } from '../../platform/db/idempotency'
import { outboxAppender } from '../../platform/events/outbox'
import { orderEvent } from './orders.events'
import type { CreateOrder, Order, OrderWrites, PlacedOrder } from './orders.model'
import { movedParts, notFound, partMovedEvent } from './orders.moves'
import { refundOwedFor } from './orders.refunds'
import {
  findOrder,
  findOrderItems,
  findOrderParts,
  findProductStatus,
  movePart,
  placementStatements,
  type ReservedLine,
  returnStock,
  setOrderStatus,
} from './orders.repository'
import {
  derivedOrderStatus,
  lineRefusal,
  newOrderNumber,
  orderItemOf,
  subtotalsBySeller,
} from './orders.rules'
import { toOrder } from './orders.views'

type Line = { productId: number; quantity: number }

export function localOrderWrites(database: DatabaseHandle): OrderWrites {
  // prepared once: writeTransaction runs on database.db's connection, the one these statements belong to; every
  // order event goes through the one appender, inside the transaction of the change it announces
  const placement = placementStatements(database.db)
  const appendOutboxEvent = outboxAppender(database.db)
  const idempotency = localIdempotency(database.db)

  const createOrder = (
    tx: DbOrTx,
    buyerId: number,
    lines: Line[],
    address: CreateOrder['shippingAddress'],
  ) => {
    const reserved: ReservedLine[] = lines.map(
      (line) => placement.takeStock(line.productId, line.quantity) ?? refuseLine(tx, line),
    )
    const totalAmount = reserved.reduce((sum, line) => sum + line.price * line.quantity, 0)
    const order = placement.insertOrder({
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
    const items = placement.insertOrderItems(reserved.map((line) => orderItemOf(line, order.id)))
    const parts = placement.insertOrderParts(order, subtotalsBySeller(items))
    appendOutboxEvent(
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

  return {
    async place(buyerId, lines, address, claim?: Claim) {
      return database.writeInGroup((tx): PlacedOrder => {
        const replay = claim && idempotency.answerFor(claim)
        if (replay) return { order: replay.body as Order, isReplay: true }
        const order = createOrder(tx, buyerId, lines, address)
        if (claim) idempotency.store(claim, { status: 201, body: order })
        return { order, isReplay: false }
      })
    },

    async moveParts(id, plan) {
      const { to } = plan
      return database.writeInGroup((tx) => {
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
          if (to === 'CANCELLED') {
            for (const line of lines) returnStock(tx, line.productId, line.quantity)
            tx.run(refundOwedFor(id, part, now.getTime()))
          }
          appendOutboxEvent(partMovedEvent(order, part, to, lines))
        }
        const result = movedParts(plan, current, order, items, after, new Set(moved.keys()))
        plan.andAlso?.local(tx, result.view)
        return result
      })
    },
  }
}

/** Why a line could not be taken: the product does not exist for buyers (404) or has too little stock (409). */
function refuseLine(tx: DbOrTx, line: Line): never {
  // the conditional UPDATE took nothing: the product's row, read in the same transaction, says why
  throw (
    lineRefusal(line, findProductStatus(tx, line.productId)) ??
    new Error('a line was refused but is available')
  )
}
