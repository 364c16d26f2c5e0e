/**
 * Order placement on a remote libSQL primary (sqld, Turso): the whole order as ONE `batch(…, 'write')`, which the
 * server runs as one transaction, so nothing holds its write lock across network round trips.
 *
 * Why it is atomic and never oversells. A batch cannot branch on what a statement found, so every condition is a
 * statement that FAILS, which rolls the whole batch back:
 * - the idempotency key is claimed first by an INSERT: a key already there is a PRIMARY KEY conflict;
 * - each line's stock UPDATE is unconditional on the row but writes -1 when the product is no longer ON_SALE, or
 *   no longer has the price and name the order was priced with; taking more than the stock leaves it negative
 *   too; either way the `stock_quantity >= 0` CHECK fails. Lines go in ascending product id, as on the local path.
 * What the order looks like is known before the batch (prices and names read first, then guarded as above), so
 * its lines, parts, event payload and stored response are written by the same batch; only the generated ids are
 * filled in by SQL (`json_set`). When the batch fails, reads tell why: a replay, a key reused with another body,
 * a product gone (404), too little stock (409), or products that changed meanwhile (priced again, a few times).
 *
 * Part moves (SPEC §5) the same way: the order and its parts are read, the move is decided (orders.moves.ts), and
 * one batch moves each picked part only if it is still in the status it was read in. An UPDATE that matched
 * nothing cannot fail by itself, so the statement after it does: it sets the order's total to -1 when
 * `changes()` is 0, which the total's CHECK refuses. Someone moved first: the move is decided again on fresh
 * reads (then usually a 409).
 */
import { LibsqlError } from '@libsql/client'
import { asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { idempotencyKeys, orderItems, orderParts, orders, outboxEvents, products } from '../../../db/schema'
import { appErrorIn, serviceBusy } from '../../errors'
import { type Claim, IDEMPOTENCY_TTL_MS, storedAnswerOf } from '../../platform/db/idempotency'
import type { RemoteDatabaseHandle, RemoteDb } from '../../platform/db/remote-database'
import { envelopeOf, rowOf } from '../../platform/events/outbox'
import { currentTraceparent } from '../../platform/observability/tracing'
import { orderEvent } from './orders.events'
import type { CreateOrder, Order, OrderWrites, PlacedOrder } from './orders.model'
import { type MovedParts, type MovePlan, movedParts, notFound, partMovedEvent } from './orders.moves'
import { refundOwedFor } from './orders.refunds'
import type { OrderItemRow, OrderPartRow, OrderRow } from './orders.repository'
import {
  derivedOrderStatus,
  lineRefusal,
  newOrderNumber,
  orderItemOf,
  subtotalsBySeller,
} from './orders.rules'
import { toOrder } from './orders.views'

type Line = { productId: number; quantity: number }
type PricedProduct = {
  id: number
  sellerId: number
  name: string
  price: number
  stockQuantity: number
  status: string
}

/** How often an order is priced again when its products changed between the read and the batch. */
const MAX_PRICING_ATTEMPTS = 5

/** A batch refused by one of its guards: a CHECK (stock, total), or a UNIQUE/PRIMARY KEY (the idempotency key). */
function isGuardFailure(error: unknown): boolean {
  return error instanceof LibsqlError && error.code.startsWith('SQLITE_CONSTRAINT')
}

export function remoteOrderWrites(remote: RemoteDatabaseHandle): OrderWrites {
  return {
    place: (buyerId, lines, address, claim) => placeOrderRemotely(remote, buyerId, lines, address, claim),
    moveParts: (id, plan) => moveOrderPartsRemotely(remote, id, plan),
  }
}

export async function placeOrderRemotely(
  remote: RemoteDatabaseHandle,
  buyerId: number,
  lines: Line[],
  address: CreateOrder['shippingAddress'],
  claim?: Claim,
): Promise<PlacedOrder> {
  for (let attempt = 1; ; attempt++) {
    const priced = await readProducts(remote.db, lines)
    refuseUnavailable(lines, priced) // the common refusals, without a write
    const planned = planOrder(buyerId, lines, priced, address, new Date())
    try {
      const results = await remote.db.batch(statementsOf(remote.db, planned, claim) as never)
      return { order: withIds(planned, results as unknown[]), isReplay: false }
    } catch (error) {
      if (appErrorIn(error)) throw error
      const replay = claim && (await storedAnswer(remote.db, claim))
      if (replay) return replay
      // a guard failed, and yet the products are available now: between the read and the batch a price or a name
      // changed, or the stock moved (taken, then given back by a cancel or a restock): priced again, a few times.
      // Any other failure is not a refusal and surfaces as it is.
      refuseUnavailable(lines, await readProducts(remote.db, lines))
      if (!isGuardFailure(error)) throw error
      if (attempt >= MAX_PRICING_ATTEMPTS)
        throw serviceBusy('The products changed while the order was placed')
    }
  }
}

type PlannedOrder = {
  row: OrderRow
  items: OrderItemRow[]
  parts: OrderPartRow[]
  /** the outbox row's envelope, its order id still 0 */
  envelope: ReturnType<typeof envelopeOf>
  lines: (Line & PricedProduct)[]
}

function readProducts(db: RemoteDb, lines: Line[]): Promise<PricedProduct[]> {
  return db
    .select({
      id: products.id,
      sellerId: products.sellerId,
      name: products.name,
      price: products.price,
      stockQuantity: products.stockQuantity,
      status: products.status,
    })
    .from(products)
    .where(
      inArray(
        products.id,
        lines.map((line) => line.productId),
      ),
    )
}

/** 404 for a product buyers cannot see, 409 for one without enough stock (SPEC §5), first line first. */
function refuseUnavailable(lines: Line[], priced: PricedProduct[]): void {
  const byId = new Map(priced.map((product) => [product.id, product]))
  for (const line of lines) {
    const refusal = lineRefusal(line, byId.get(line.productId))
    if (refusal) throw refusal
  }
}

/** The order as it will be stored, with 0 for the ids the database generates. */
function planOrder(
  buyerId: number,
  lines: Line[],
  priced: PricedProduct[],
  address: CreateOrder['shippingAddress'],
  now: Date,
): PlannedOrder {
  const byId = new Map(priced.map((product) => [product.id, product]))
  const planned = lines.map((line) => ({ ...line, ...byId.get(line.productId)! }))
  const items: OrderItemRow[] = planned.map((line) => ({ id: 0, ...orderItemOf(line, 0) }))
  const row: OrderRow = {
    id: 0,
    orderNumber: newOrderNumber(),
    buyerId,
    status: 'PENDING',
    totalAmount: items.reduce((sum, item) => sum + item.subtotal, 0),
    zipCode: address.zipCode,
    address: address.address,
    addressDetail: address.addressDetail ?? null,
    receiverName: address.receiverName,
    receiverPhone: address.receiverPhone,
    createdAt: now,
    updatedAt: now,
  }
  const parts: OrderPartRow[] = [...subtotalsBySeller(items)].map(([sellerId, subtotal]) => ({
    orderId: 0,
    sellerId,
    status: 'PENDING',
    subtotal,
    createdAt: now,
    updatedAt: now,
  }))
  const event = orderEvent('order.created', {
    orderId: 0,
    orderNumber: row.orderNumber,
    buyerId,
    totalAmount: row.totalAmount,
    items: items.map((i) => ({ productId: i.productId, sellerId: i.sellerId, quantity: i.quantity })),
  })
  return { row, items, parts, envelope: envelopeOf(event, now), lines: planned }
}

/** The batch (see the header); statements that RETURNING ids come back in `withIds`'s order. */
function statementsOf(db: RemoteDb, order: PlannedOrder, claim: Claim | undefined) {
  const { row, items, parts, envelope } = order
  const nowMs = row.createdAt.getTime()
  const orderId = sql`(select id from orders where order_number = ${row.orderNumber})`
  const statements: unknown[] = []
  if (claim) {
    const key = sql`member_id = ${claim.memberId} and key = ${claim.key}`
    statements.push(db.run(sql`delete from idempotency_keys where ${key} and expires_at <= ${nowMs}`))
    statements.push(
      db.insert(idempotencyKeys).values({
        memberId: claim.memberId,
        key: claim.key,
        fingerprint: claim.fingerprint,
        state: 'IN_PROGRESS',
        createdAt: row.createdAt,
        expiresAt: new Date(nowMs + IDEMPOTENCY_TTL_MS),
      }),
    )
  }
  for (const line of order.lines) {
    statements.push(
      db.run(sql`update products set
        stock_quantity = case when status = 'ON_SALE' and price = ${line.price} and name = ${line.name}
                         then stock_quantity - ${line.quantity} else -1 end,
        sales_count = sales_count + ${line.quantity}, version = version + 1, updated_at = ${nowMs}
        where id = ${line.productId}`),
      db.run(
        sql`update products set status = 'SOLD_OUT' where id = ${line.productId} and stock_quantity = 0`,
      ),
    )
  }
  statements.push(
    db.all(sql`insert into orders (order_number, buyer_id, status, total_amount, zip_code, address, address_detail,
        receiver_name, receiver_phone, created_at, updated_at)
      values (${row.orderNumber}, ${row.buyerId}, 'PENDING', ${row.totalAmount}, ${row.zipCode}, ${row.address},
        ${row.addressDetail}, ${row.receiverName}, ${row.receiverPhone}, ${nowMs}, ${nowMs}) returning id`),
  )
  for (const item of items) {
    statements.push(
      db.all(sql`insert into order_items (order_id, product_id, seller_id, product_name, product_price, quantity,
          subtotal)
        values (${orderId}, ${item.productId}, ${item.sellerId}, ${item.productName}, ${item.productPrice},
          ${item.quantity}, ${item.subtotal}) returning id`),
    )
  }
  for (const part of parts) {
    statements.push(
      db.run(sql`insert into order_parts (order_id, seller_id, status, subtotal, created_at, updated_at)
        values (${orderId}, ${part.sellerId}, 'PENDING', ${part.subtotal}, ${nowMs}, ${nowMs})`),
    )
  }
  statements.push(
    db.run(sql`insert into outbox_events (event_id, aggregate_type, aggregate_id, event_type, payload, created_at,
        trace_context)
      select ${envelope.eventId}, ${envelope.aggregateType}, cast(o.id as text), ${envelope.eventType},
        json_set(${JSON.stringify(envelope)}, '$.aggregateId', cast(o.id as text), '$.payload.orderId', o.id),
        ${nowMs}, ${currentTraceparent()}
      from orders o where o.order_number = ${row.orderNumber}`),
  )
  if (claim) {
    const body = toOrder(row, items, parts)
    statements.push(
      db.run(sql`update idempotency_keys set state = 'COMPLETED', response_status = 201,
          response_body = ${withIdsInSql(JSON.stringify(body), orderId, items)}
        where member_id = ${claim.memberId} and key = ${claim.key}`),
    )
  }
  return statements
}

/** `json_set` over the stored response: the order id, each line's id (one line per product), the parts' order id. */
function withIdsInSql(body: string, orderId: SQL, items: OrderItemRow[]): SQL {
  const lineIds = items.map(
    (item, i) =>
      sql`, '$.orderItems[${sql.raw(String(i))}].id', (select id from order_items where order_id = ${orderId} and product_id = ${item.productId})`,
  )
  return sql`json_set(${body}, '$.id', ${orderId}${sql.join(lineIds, sql``)})`
}

/** The response, with the ids the batch's RETURNING statements gave. */
function withIds(order: PlannedOrder, results: unknown[]): Order {
  const returned = results.filter(Array.isArray) as { id: number }[][]
  const orderId = Number(returned[0]![0]!.id)
  const items = order.items.map((item, i) => ({ ...item, id: Number(returned[i + 1]![0]!.id), orderId }))
  const parts = order.parts.map((part) => ({ ...part, orderId }))
  return toOrder({ ...order.row, id: orderId }, items, parts)
}

/** After a failed batch: the answer already stored under the key (a replay), or the reason it cannot be used. */
async function storedAnswer(db: RemoteDb, claim: Claim): Promise<PlacedOrder | undefined> {
  const [existing] = await db
    .select()
    .from(idempotencyKeys)
    .where(sql`member_id = ${claim.memberId} and key = ${claim.key}`)
  const answer = storedAnswerOf(existing, claim)
  return answer && { order: answer.body as Order, isReplay: true }
}

/** How often a move is decided again when another move changed the order between the read and the batch. */
const MAX_MOVE_ATTEMPTS = 3

export async function moveOrderPartsRemotely(
  remote: RemoteDatabaseHandle,
  id: number,
  plan: MovePlan,
): Promise<MovedParts> {
  for (let attempt = 1; ; attempt++) {
    const { current, parts, items } = await readWholeOrder(remote.db, id)
    if (!current) throw notFound(id)
    const picked = plan.pick(current, parts)
    const now = new Date()
    const moved = new Map(picked.map((part) => [part.sellerId, { ...part, status: plan.to, updatedAt: now }]))
    const after = parts.map((part) => moved.get(part.sellerId) ?? part)
    const order: OrderRow = { ...current, status: derivedOrderStatus(after), updatedAt: now }
    const result = movedParts(plan, current, order, items, after, new Set(moved.keys()))
    const statements = moveStatements(remote.db, order, picked, items, plan.to, now)
    statements.push(...(plan.andAlso?.remote(remote.db, result.view) ?? []))
    try {
      await remote.db.batch(statements as never)
    } catch (error) {
      if (appErrorIn(error) || !isGuardFailure(error)) throw error
      if (attempt >= MAX_MOVE_ATTEMPTS) throw serviceBusy('The order changed while it was moved')
      continue
    }
    return result
  }
}

async function readWholeOrder(db: RemoteDb, id: number) {
  const [found, parts, items] = await Promise.all([
    db.select().from(orders).where(eq(orders.id, id)),
    db.select().from(orderParts).where(eq(orderParts.orderId, id)).orderBy(asc(orderParts.sellerId)),
    db.select().from(orderItems).where(eq(orderItems.orderId, id)).orderBy(asc(orderItems.id)),
  ])
  return { current: found[0], parts, items }
}

function moveStatements(
  db: RemoteDb,
  order: OrderRow,
  picked: OrderPartRow[],
  items: OrderItemRow[],
  to: OrderPartRow['status'],
  now: Date,
) {
  const nowMs = now.getTime()
  const statements: unknown[] = []
  for (const part of picked) {
    statements.push(
      db.run(sql`update order_parts set status = ${to}, updated_at = ${nowMs}
        where order_id = ${order.id} and seller_id = ${part.sellerId} and status = ${part.status}`),
      // the guard: the part was not where it was read (another move came first) → the total's CHECK fails
      db.run(sql`update orders set total_amount = -1 where id = ${order.id} and changes() = 0`),
    )
    const lines = items.filter((item) => item.sellerId === part.sellerId)
    if (to === 'CANCELLED') {
      statements.push(db.run(refundOwedFor(order.id, part, nowMs)))
      for (const line of lines) {
        statements.push(
          db.run(sql`update products set stock_quantity = stock_quantity + ${line.quantity},
              sales_count = max(sales_count - ${line.quantity}, 0),
              status = case when status = 'SOLD_OUT' then 'ON_SALE' else status end,
              version = version + 1, updated_at = ${nowMs}
            where id = ${line.productId}`),
        )
      }
    }
    const envelope = envelopeOf(partMovedEvent(order, part, to, lines), now)
    statements.push(db.insert(outboxEvents).values(rowOf(envelope, now)))
  }
  statements.push(
    db.update(orders).set({ status: order.status, updatedAt: now }).where(eq(orders.id, order.id)),
  )
  return statements
}
