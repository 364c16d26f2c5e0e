/**
 * Orders with several sellers (SPEC §4, §5): one part per seller. A seller sees and moves only its own part;
 * the order's status is derived from its parts; a buyer's cancel cancels every part and is refused once one has
 * shipped; each part move writes its own order.status-changed event naming the part's seller and lines.
 * Every refused move leaves the order, its parts, the stock and the outbox as they were.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { derivedOrderStatus } from '../../src/modules/orders/orders.rules'
import { localFileOf } from '../../src/platform/db/connections'
import { expectProblem, useTestApp } from '../support/harness'
import {
  cancelOrder,
  changeStatus,
  counterValue,
  expectOrderEnvelope,
  freshProduct,
  type OrderStatus,
  orderStateOf,
  outboxOf,
  payOrder,
  placeOrder,
  stockOf,
  storedOrder,
  storedParts,
} from '../support/order-fixtures'
import { MIGRATIONS_DIR } from '../support/paths'

const { t, tokens } = useTestApp({}, { tokens: true })

type TwoSellerOrder = {
  orderId: number
  mine: number
  theirs: number
  sellerId: number
  otherSellerId: number
}

/** A PENDING order of the buyer: 1 × 10,000 of the demo seller's product, 2 × 7,000 of the other seller's. */
async function twoSellerOrder(): Promise<TwoSellerOrder> {
  const mine = await freshProduct(t, tokens.seller, 5, 10_000)
  const theirs = await freshProduct(t, tokens.otherSeller, 5, 7_000)
  const order = await placeOrder(t, tokens.buyer, [
    { productId: mine, quantity: 1 },
    { productId: theirs, quantity: 2 },
  ])
  const sellerOf = (productId: number) =>
    order.orderItems.find((item: { productId: number }) => item.productId === productId).sellerId as number
  return { orderId: order.id, mine, theirs, sellerId: sellerOf(mine), otherSellerId: sellerOf(theirs) }
}

async function move(token: string, orderId: number, status: OrderStatus, sellerId?: number) {
  const res = await changeStatus(t, token, orderId, status, sellerId)
  expect(res.status, res.text).toBe(200)
  return res.body
}

const partStatuses = (orderId: number) => storedParts(t, orderId).map((part) => part.status)

describe('order parts: placement and reads', () => {
  test('an order of two sellers has one PENDING part per seller whose subtotals add up to the total', async () => {
    const o = await twoSellerOrder()

    const res = await t.request('GET', `/api/v1/orders/${o.orderId}`, { token: tokens.buyer })

    expect(res.status, res.text).toBe(200)
    expect(res.body.totalAmount).toBe(24_000)
    expect(res.body.parts).toEqual([
      { sellerId: o.sellerId, status: 'PENDING', subtotal: 10_000, updatedAt: res.body.createdAt },
      { sellerId: o.otherSellerId, status: 'PENDING', subtotal: 14_000, updatedAt: res.body.createdAt },
    ])
    expect(res.body.orderItems).toHaveLength(2)
  })

  test("a seller's detail and list show only its lines, its subtotal as the total and its part's status", async () => {
    const o = await twoSellerOrder()
    await payOrder(t, tokens.buyer, o.orderId)
    await move(tokens.otherSeller, o.orderId, 'SHIPPED')

    const detail = await t.request('GET', `/api/v1/orders/${o.orderId}`, { token: tokens.seller })
    const list = await t.request('GET', '/api/v1/sellers/orders', { token: tokens.otherSeller })

    expect(detail.status, detail.text).toBe(200)
    expect(detail.body).toMatchObject({ status: 'CONFIRMED', totalAmount: 10_000 })
    expect(detail.body.orderItems.map((i: { productId: number }) => i.productId)).toEqual([o.mine])
    expect(detail.body.parts.map((p: { sellerId: number }) => p.sellerId)).toEqual([o.sellerId])
    const listed = list.body.items.find((item: { id: number }) => item.id === o.orderId)
    expect(listed, list.text).toMatchObject({ status: 'SHIPPED', totalAmount: 14_000 })
    expect(listed.orderItems.map((i: { productId: number }) => i.productId)).toEqual([o.theirs])
    expect(JSON.stringify(listed)).not.toContain(`"productId":${o.mine},`)
  })

  test("the seller list walks only the seller's parts, newest first, across cursor pages", async () => {
    const placed: number[] = []
    for (let i = 0; i < 5; i++) placed.push((await twoSellerOrder()).orderId)

    const seen: number[] = []
    let cursor: string | undefined
    do {
      const query = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
      const page = await t.request('GET', `/api/v1/sellers/orders${query}`, { token: tokens.otherSeller })
      expect(page.status, page.text).toBe(200)
      seen.push(...page.body.items.map((item: { id: number }) => item.id))
      cursor = page.body.nextCursor ?? undefined
    } while (cursor)

    expect(seen.slice(0, 5)).toEqual([...placed].reverse())
    expect(new Set(seen).size).toBe(seen.length)
  })
})

describe('order parts: moves', () => {
  test('the order shows its least advanced live part; each move writes one event naming its seller and lines', async () => {
    const o = await twoSellerOrder()

    const confirmed = (await payOrder(t, tokens.buyer, o.orderId)).body
    const oneShipped = await move(tokens.seller, o.orderId, 'SHIPPED')
    const afterOne = storedOrder(t, o.orderId)!.status
    await move(tokens.otherSeller, o.orderId, 'SHIPPED')
    const afterBoth = storedOrder(t, o.orderId)!.status
    await move(tokens.seller, o.orderId, 'DELIVERED')
    const oneDelivered = storedOrder(t, o.orderId)!.status
    await move(tokens.otherSeller, o.orderId, 'DELIVERED')

    expect(confirmed.status).toBe('CONFIRMED')
    expect(oneShipped).toMatchObject({ status: 'SHIPPED', totalAmount: 10_000 })
    expect([afterOne, afterBoth, oneDelivered]).toEqual(['CONFIRMED', 'SHIPPED', 'SHIPPED'])
    expect(storedOrder(t, o.orderId)!.status).toBe('DELIVERED')
    const moves = outboxOf(t, o.orderId)
      .slice(1)
      .map((row) => expectOrderEnvelope(row, 'order.status-changed', o.orderId).payload)
    expect(moves.map((p) => `${p.sellerId}:${p.from}→${p.to}=${p.orderStatus}`)).toEqual([
      `${o.sellerId}:PENDING→CONFIRMED=CONFIRMED`,
      `${o.otherSellerId}:PENDING→CONFIRMED=CONFIRMED`,
      `${o.sellerId}:CONFIRMED→SHIPPED=CONFIRMED`,
      `${o.otherSellerId}:CONFIRMED→SHIPPED=SHIPPED`,
      `${o.sellerId}:SHIPPED→DELIVERED=SHIPPED`,
      `${o.otherSellerId}:SHIPPED→DELIVERED=DELIVERED`,
    ])
    expect(moves[2].lines).toEqual([{ productId: o.mine, quantity: 1 }])
    expect(moves[3].lines).toEqual([{ productId: o.theirs, quantity: 2 }])
  })

  test("a seller cancelling its part restores only that part's stock; the other part and the order go on", async () => {
    const o = await twoSellerOrder()
    const cancelled = await counterValue(t, 'marketplace_orders_cancelled_total')

    const res = await move(tokens.seller, o.orderId, 'CANCELLED')

    expect(res).toMatchObject({ status: 'CANCELLED', totalAmount: 10_000 })
    expect(stockOf(t, o.mine).stock).toBe(5)
    expect(stockOf(t, o.theirs).stock).toBe(3)
    expect(partStatuses(o.orderId)).toEqual(['CANCELLED', 'PENDING'])
    expect(storedOrder(t, o.orderId)!.status).toBe('PENDING')
    const event = expectOrderEnvelope(outboxOf(t, o.orderId).at(-1), 'order.status-changed', o.orderId)
    expect(event.payload).toMatchObject({
      sellerId: o.sellerId,
      from: 'PENDING',
      to: 'CANCELLED',
      orderStatus: 'PENDING',
      lines: [{ productId: o.mine, quantity: 1 }],
    })
    expect(await counterValue(t, 'marketplace_orders_cancelled_total')).toBe(cancelled)
  })

  test('when the last live part is cancelled the order is CANCELLED and counted once', async () => {
    const o = await twoSellerOrder()
    const cancelled = await counterValue(t, 'marketplace_orders_cancelled_total')

    await move(tokens.seller, o.orderId, 'CANCELLED')
    await move(tokens.otherSeller, o.orderId, 'CANCELLED')

    expect(storedOrder(t, o.orderId)!.status).toBe('CANCELLED')
    expect([stockOf(t, o.mine).stock, stockOf(t, o.theirs).stock]).toEqual([5, 5])
    expect(await counterValue(t, 'marketplace_orders_cancelled_total')).toBe(cancelled + 1)
  })

  test("the buyer's cancel cancels every live part, one event each, and each part's stock comes back once", async () => {
    const o = await twoSellerOrder()
    await payOrder(t, tokens.buyer, o.orderId)
    await move(tokens.seller, o.orderId, 'CANCELLED')

    const res = await cancelOrder(t, tokens.buyer, o.orderId)

    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('CANCELLED')
    expect([stockOf(t, o.mine).stock, stockOf(t, o.theirs).stock]).toEqual([5, 5])
    const last = outboxOf(t, o.orderId).at(-1)
    expect(expectOrderEnvelope(last, 'order.status-changed', o.orderId).payload).toMatchObject({
      sellerId: o.otherSellerId,
      from: 'CONFIRMED',
      to: 'CANCELLED',
      orderStatus: 'CANCELLED',
    })
  })

  test('an admin moves the part of sellerId only, or every live part without it', async () => {
    const one = await twoSellerOrder()
    const all = await twoSellerOrder()
    await payOrder(t, tokens.buyer, one.orderId)
    await payOrder(t, tokens.buyer, all.orderId)

    const res = await move(tokens.admin, one.orderId, 'SHIPPED', one.otherSellerId)
    await move(tokens.admin, all.orderId, 'SHIPPED')

    expect(res.parts.map((p: { status: string }) => p.status)).toEqual(['CONFIRMED', 'SHIPPED'])
    expect(partStatuses(one.orderId)).toEqual(['CONFIRMED', 'SHIPPED'])
    expect(partStatuses(all.orderId)).toEqual(['SHIPPED', 'SHIPPED'])
    expect(storedOrder(t, all.orderId)!.status).toBe('SHIPPED')
  })
})

describe('order parts: refusals change nothing', () => {
  const refusals: [string, (o: TwoSellerOrder) => Promise<void>, (o: TwoSellerOrder) => Promise<unknown>][] =
    [
      [
        'a seller confirming its part (only payment confirms) is a 409',
        async () => {},
        (o) => changeStatus(t, tokens.seller, o.orderId, 'CONFIRMED'),
      ],
      [
        "the buyer's cancel after one part has SHIPPED is a 409",
        async (o) => {
          await payOrder(t, tokens.buyer, o.orderId)
          await move(tokens.otherSeller, o.orderId, 'SHIPPED')
        },
        (o) => cancelOrder(t, tokens.buyer, o.orderId),
      ],
      [
        'an admin confirming an order is a 409: only the buyer’s payment confirms',
        async () => {},
        (o) => changeStatus(t, tokens.admin, o.orderId, 'CONFIRMED'),
      ],
      [
        'a seller shipping a PENDING part is a 409',
        async () => {},
        (o) => changeStatus(t, tokens.otherSeller, o.orderId, 'SHIPPED'),
      ],
    ]
  for (const [name, arrange, act] of refusals) {
    test(name, async () => {
      const o = await twoSellerOrder()
      await arrange(o)
      const before = orderStateOf(t, o.orderId, [o.mine, o.theirs])

      const res = await act(o)

      expectProblem(res as never, 409, 'INVALID_ORDER_STATUS_TRANSITION')
      expect(orderStateOf(t, o.orderId, [o.mine, o.theirs])).toEqual(before)
    })
  }

  test("a seller naming another seller's part is a 400; an admin naming a seller without a part a 404; confirming a part a 409", async () => {
    const o = await twoSellerOrder()
    const before = orderStateOf(t, o.orderId, [o.mine, o.theirs])

    const foreign = await changeStatus(t, tokens.seller, o.orderId, 'CANCELLED', o.otherSellerId)
    const absent = await changeStatus(t, tokens.admin, o.orderId, 'CANCELLED', 999_999)
    const confirmOnePart = await changeStatus(t, tokens.admin, o.orderId, 'CONFIRMED', o.sellerId)

    expectProblem(foreign, 400, 'VALIDATION_FAILED')
    expect(foreign.body.errors).toEqual([{ field: 'sellerId', message: expect.any(String) }])
    expectProblem(absent, 404, 'ORDER_NOT_FOUND')
    expectProblem(confirmOnePart, 409, 'INVALID_ORDER_STATUS_TRANSITION')
    expect(orderStateOf(t, o.orderId, [o.mine, o.theirs])).toEqual(before)
  })
})

describe('derivedOrderStatus', () => {
  const cases: [OrderStatus[], OrderStatus][] = [
    [['PENDING'], 'PENDING'],
    [['CANCELLED', 'CANCELLED'], 'CANCELLED'],
    [['CANCELLED', 'CONFIRMED'], 'CONFIRMED'],
    [['SHIPPED', 'DELIVERED'], 'SHIPPED'],
    [['DELIVERED', 'CANCELLED', 'DELIVERED'], 'DELIVERED'],
    [['DELIVERED', 'PENDING', 'SHIPPED'], 'PENDING'],
  ]
  for (const [parts, expected] of cases) {
    test(`${parts.join(' + ')} → ${expected}`, () => {
      expect(derivedOrderStatus(parts.map((status) => ({ status })))).toBe(expected)
    })
  }
})

describe('migration 0003: orders placed before parts existed', () => {
  test('the backfill gives each (order, seller) one part with the order status and the sum of its lines', async () => {
    const o = await twoSellerOrder()
    await payOrder(t, tokens.buyer, o.orderId)
    const expected = storedParts(t, o.orderId)
    const migration = readFileSync(join(MIGRATIONS_DIR, '0003_order_parts_revoked_access_tokens.sql'), 'utf8')
    const backfill = migration.split('--> statement-breakpoint').at(-1)!
    const sqlite = localFileOf(t.deps.database).sqlite

    sqlite.run('delete from order_parts where order_id = ?', [o.orderId])
    sqlite.run(`${backfill.replace('GROUP BY', `WHERE oi.order_id = ${o.orderId} GROUP BY`)}`)

    expect(storedParts(t, o.orderId).map(({ updated_at, ...part }) => part)).toEqual(
      expected.map(({ updated_at, ...part }) => part),
    )
    expect(storedParts(t, o.orderId).map((part) => part.status)).toEqual(['CONFIRMED', 'CONFIRMED'])
  })
})
