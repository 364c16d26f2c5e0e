/**
 * POST /api/v1/orders (SPEC §4, §5): all-or-nothing, stock taken atomically in ascending product id, duplicate
 * lines merged, SOLD_OUT at exactly 0, name and price snapshots, the order.created outbox event in the same
 * transaction, and the order metrics. Every refused order is checked to have changed nothing.
 * Reads: test/order-reads.test.ts; lifecycle: test/order-lifecycle.test.ts; keys: test/idempotency.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createProduct, expectUnauthenticated } from './catalog-fixtures'
import { createTestApp, expectProblem, type Persona, type TestApp } from './harness'
import {
  counterValue,
  expectOrderEnvelope,
  expectOrderResponse,
  freshProduct,
  orderBody,
  outboxOf,
  placeOrder,
  postOrder,
  SHIPPING_ADDRESS,
  snapshotOf,
  stockOf,
  storedOrder,
} from './order-fixtures'

let t: TestApp
let tokens: Record<Persona, string>
let buyerId: number
beforeAll(async () => {
  t = await createTestApp()
  tokens = await t.tokens()
  buyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.buyer })).body.id
})
afterAll(() => t.close())

describe('POST /api/v1/orders', () => {
  describe('happy', () => {
    test('a two-line order is 201 with Location, PENDING, name/price snapshots, subtotals and the total', async () => {
      const lamp = await createProduct(t, tokens.seller, { name: 'Lamp', price: 12_000, stockQuantity: 10 })
      const desk = await createProduct(t, tokens.otherSeller, { name: 'Desk', price: 80_000, stockQuantity: 4 })

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId: lamp.id, quantity: 3 },
          { productId: desk.id, quantity: 1 },
        ]),
      )

      expectOrderResponse(res, 201)
      expect(res.body).toMatchObject({
        buyerId,
        status: 'PENDING',
        totalAmount: 3 * 12_000 + 80_000,
        shippingAddress: SHIPPING_ADDRESS,
      })
      expect(res.body.orderItems.map(({ id: _id, ...line }: { id: number }) => line)).toEqual([
        { productId: lamp.id, sellerId: lamp.sellerId, productName: 'Lamp', productPrice: 12_000, quantity: 3, subtotal: 36_000 },
        { productId: desk.id, sellerId: desk.sellerId, productName: 'Desk', productPrice: 80_000, quantity: 1, subtotal: 80_000 },
      ])
      expect(stockOf(t, lamp.id)).toEqual({ stock: 7, status: 'ON_SALE', sales: 3 })
      expect(stockOf(t, desk.id)).toEqual({ stock: 3, status: 'ON_SALE', sales: 1 })
      expect(storedOrder(t, res.body.id)).toMatchObject({ status: 'PENDING', total_amount: 116_000, buyer_id: buyerId })
    })

    test('the order writes exactly one order.created outbox event with the SPEC §10 envelope', async () => {
      const productId = await freshProduct(t, tokens.seller, 5, 7_000)

      const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])

      const events = outboxOf(t, order.id)
      expect(events.map((e) => e.event_type)).toEqual(['order.created'])
      const envelope = expectOrderEnvelope(events[0], 'order.created', order.id)
      expect(envelope.payload).toMatchObject({
        orderNumber: order.orderNumber,
        buyerId,
        totalAmount: 14_000,
        items: [{ productId, sellerId: 2, quantity: 2 }],
      })
    })

    test('a later price and name change of the product does not change the order (snapshots)', async () => {
      const productId = await freshProduct(t, tokens.seller, 5, 10_000)
      const order = await placeOrder(t, tokens.buyer, [{ productId, quantity: 2 }])

      const patch = await t.request('PATCH', `/api/v1/products/${productId}`, {
        token: tokens.seller,
        body: { price: 99_000, name: 'Renamed' },
      })
      const res = await t.request('GET', `/api/v1/orders/${order.id}`, { token: tokens.buyer })

      expect(patch.status, patch.text).toBe(200)
      expect(res.status, res.text).toBe(200)
      expect(res.body.totalAmount).toBe(20_000)
      expect(res.body.orderItems[0]).toMatchObject({ productName: 'Test product', productPrice: 10_000, subtotal: 20_000 })
    })

    test('lines for the same product are merged into one line and one decrement', async () => {
      const productId = await freshProduct(t, tokens.seller, 10, 1_000)

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId, quantity: 2 },
          { productId, quantity: 3 },
        ]),
      )

      expectOrderResponse(res, 201)
      expect(res.body.orderItems).toHaveLength(1)
      expect(res.body.orderItems[0]).toMatchObject({ productId, quantity: 5, subtotal: 5_000 })
      expect(stockOf(t, productId).stock).toBe(5)
    })

    test('the order of the lines in the request does not change the outcome (lines come back by product id)', async () => {
      const a = await freshProduct(t, tokens.seller, 10, 1_000)
      const b = await freshProduct(t, tokens.otherSeller, 10, 2_000)

      const ascending = await placeOrder(t, tokens.buyer, [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 2 },
      ])
      const descending = await placeOrder(t, tokens.buyer, [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 1 },
      ])

      const linesOf = (order: { orderItems: { productId: number; quantity: number }[] }) =>
        order.orderItems.map((i) => [i.productId, i.quantity])
      expect(linesOf(descending)).toEqual(linesOf(ascending))
      expect(linesOf(ascending)).toEqual([
        [a, 1],
        [b, 2],
      ])
      expect(descending.totalAmount).toBe(ascending.totalAmount)
      expect(stockOf(t, a).stock).toBe(8)
      expect(stockOf(t, b).stock).toBe(6)
    })

    test('taking the last unit sets SOLD_OUT at exactly 0; one unit left stays ON_SALE', async () => {
      const emptied = await freshProduct(t, tokens.seller, 3)
      const almost = await freshProduct(t, tokens.seller, 3)

      await placeOrder(t, tokens.buyer, [
        { productId: emptied, quantity: 3 },
        { productId: almost, quantity: 2 },
      ])

      expect(stockOf(t, emptied)).toMatchObject({ stock: 0, status: 'SOLD_OUT' })
      expect(stockOf(t, almost)).toMatchObject({ stock: 1, status: 'ON_SALE' })
    })

    test('boundaries are accepted: 50 lines, quantity 1000, no addressDetail (stored as null)', async () => {
      const productId = await freshProduct(t, tokens.seller, 2_000)
      const { addressDetail: _omitted, ...withoutDetail } = SHIPPING_ADDRESS
      const fiftyLines = Array.from({ length: 50 }, () => ({ productId, quantity: 1 }))

      const many = await postOrder(t, tokens.buyer, orderBody(fiftyLines, { shippingAddress: withoutDetail }))
      const large = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1000 }]))

      expectOrderResponse(many, 201)
      expectOrderResponse(large, 201)
      expect(many.body.orderItems[0].quantity).toBe(50)
      expect(many.body.shippingAddress.addressDetail).toBeNull()
      expect(stockOf(t, productId).stock).toBe(2_000 - 50 - 1000)
    })

    test('order numbers are distinct 16-character upper-case hex strings', async () => {
      const productId = await freshProduct(t, tokens.seller, 20)

      const numbers: string[] = []
      for (let i = 0; i < 10; i++) numbers.push((await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])).orderNumber)

      expect(new Set(numbers).size).toBe(10)
      for (const n of numbers) expect(n).toMatch(/^[0-9A-F]{16}$/)
    })

    test('30 concurrent one-unit orders for a stock of 10: exactly 10 succeed, the rest are 409, never oversold', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const before = snapshotOf(t, [])

      const responses = await Promise.all(
        Array.from({ length: 30 }, () => postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]))),
      )

      const created = responses.filter((r) => r.status === 201)
      expect(created).toHaveLength(10)
      for (const r of responses.filter((r) => r.status !== 201)) expectProblem(r, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(stockOf(t, productId)).toEqual({ stock: 0, status: 'SOLD_OUT', sales: 10 })
      expect(snapshotOf(t, []).orders).toBe(before.orders + 10)
      expect(snapshotOf(t, []).outbox).toBe(before.outbox + 10)
    })
  })

  describe('error: all or nothing', () => {
    test('second line out of stock: 409 naming that product; the first line keeps its stock; no order, no event', async () => {
      const plenty = await freshProduct(t, tokens.seller, 10)
      const scarce = await freshProduct(t, tokens.seller, 1)
      const before = snapshotOf(t, [plenty, scarce])

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId: plenty, quantity: 2 },
          { productId: scarce, quantity: 2 },
        ]),
      )

      expectProblem(res, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(res.body.detail).toContain(`Product ${scarce}`)
      expect(snapshotOf(t, [plenty, scarce])).toEqual(before)
    })

    test('first line out of stock: 409 naming that product and nothing changed', async () => {
      const scarce = await freshProduct(t, tokens.seller, 1)
      const plenty = await freshProduct(t, tokens.seller, 10)
      const before = snapshotOf(t, [scarce, plenty])

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId: plenty, quantity: 1 },
          { productId: scarce, quantity: 5 },
        ]),
      )

      expectProblem(res, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(res.body.detail).toContain(`Product ${scarce}`)
      expect(snapshotOf(t, [scarce, plenty])).toEqual(before)
    })

    test('merged lines that together exceed the stock are refused although each line alone would fit', async () => {
      const productId = await freshProduct(t, tokens.seller, 5)
      const before = snapshotOf(t, [productId])

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([
          { productId, quantity: 3 },
          { productId, quantity: 3 },
        ]),
      )

      expectProblem(res, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('a SOLD_OUT product (stock 0) is a 409 PRODUCT_OUT_OF_STOCK', async () => {
      const productId = await freshProduct(t, tokens.seller, 1)
      await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
      const before = snapshotOf(t, [productId])

      const res = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]))

      expectProblem(res, 409, 'PRODUCT_OUT_OF_STOCK')
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('a DRAFT, a DELETED or an unknown product is a 404 PRODUCT_NOT_FOUND and nothing changes', async () => {
      const onSale = await freshProduct(t, tokens.seller, 10)
      const draft = (await createProduct(t, tokens.seller, { status: 'DRAFT', stockQuantity: 10 })).id
      const deleted = await freshProduct(t, tokens.seller, 10)
      const del = await t.request('DELETE', `/api/v1/products/${deleted}`, { token: tokens.seller })
      expect(del.status, del.text).toBe(204)
      const before = snapshotOf(t, [onSale, draft, deleted])

      for (const productId of [draft, deleted, 999_999]) {
        const res = await postOrder(
          t,
          tokens.buyer,
          orderBody([
            { productId: onSale, quantity: 1 },
            { productId, quantity: 1 },
          ]),
        )

        expectProblem(res, 404, 'PRODUCT_NOT_FOUND')
        expect(res.body.detail).toContain(`Product ${productId}`)
      }
      expect(snapshotOf(t, [onSale, draft, deleted])).toEqual(before)
    })
  })

  describe('error: bad input is a 400 and changes nothing', () => {
    const line = (productId: unknown, quantity: unknown) => ({ productId, quantity })
    const cases: [string, (productId: number) => unknown][] = [
      ['quantity 0', (p) => orderBody([line(p, 0)])],
      ['a negative quantity', (p) => orderBody([line(p, -1)])],
      ['quantity 10^9', (p) => orderBody([line(p, 1_000_000_000)])],
      ['quantity 1001', (p) => orderBody([line(p, 1001)])],
      ['a fractional quantity', (p) => orderBody([line(p, 1.5)])],
      ['a quantity sent as a string', (p) => orderBody([line(p, '1')])],
      ['51 lines', (p) => orderBody(Array.from({ length: 51 }, () => line(p, 1)))],
      ['no lines', () => orderBody([])],
      ['orderItems that is not an array', (p) => orderBody(line(p, 1) as never)],
      ['productId 0', () => orderBody([line(0, 1)])],
      ['a negative productId', () => orderBody([line(-3, 1)])],
      ['a fractional productId', () => orderBody([line(1.5, 1)])],
      ['a productId sent as text', () => orderBody([line('abc', 1)])],
      ['a line without productId', () => orderBody([{ quantity: 1 } as never])],
      ['a missing shippingAddress', (p) => ({ orderItems: [line(p, 1)] })],
      ['a shippingAddress without receiverName', (p) => orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, receiverName: undefined } })],
      ['a blank address', (p) => orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, address: '   ' } })],
      ['a receiverPhone with letters', (p) => orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, receiverPhone: 'call me' } })],
    ]

    for (const [name, bodyFor] of cases) {
      test(`${name} is a 400 VALIDATION_FAILED`, async () => {
        const productId = await freshProduct(t, tokens.seller, 100)
        const before = snapshotOf(t, [productId])

        const res = await postOrder(t, tokens.buyer, bodyFor(productId))

        expectProblem(res, 400, 'VALIDATION_FAILED')
        expect(Array.isArray(res.body.errors), res.text).toBe(true)
        expect(snapshotOf(t, [productId])).toEqual(before)
      })
    }

    test('malformed JSON is a 400 MALFORMED_REQUEST and a non-JSON body a 415; nothing changes', async () => {
      const before = snapshotOf(t, [])

      const malformed = await t.request('POST', '/api/v1/orders', {
        token: tokens.buyer,
        rawBody: '{"orderItems": [',
        headers: { 'content-type': 'application/json' },
      })
      const text = await t.request('POST', '/api/v1/orders', {
        token: tokens.buyer,
        rawBody: 'orderItems=1',
        headers: { 'content-type': 'text/plain' },
      })

      expectProblem(malformed, 400, 'MALFORMED_REQUEST')
      expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(snapshotOf(t, [])).toEqual(before)
    })
  })

  describe('security', () => {
    test('without a token is a 401 with a Bearer challenge, before the body is looked at', async () => {
      const before = snapshotOf(t, [])

      const res = await postOrder(t, '', { nonsense: true })

      expectUnauthenticated(res)
      expect(snapshotOf(t, [])).toEqual(before)
    })

    test('a seller and an admin cannot place orders (403 ACCESS_DENIED) and nothing changes', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const before = snapshotOf(t, [productId])

      for (const token of [tokens.seller, tokens.admin]) {
        const res = await postOrder(t, token, orderBody([{ productId, quantity: 1 }]))
        expectProblem(res, 403, 'ACCESS_DENIED')
      }
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('server-owned fields in the body (buyerId, status, totals, prices, order number) are never written', async () => {
      const productId = await freshProduct(t, tokens.seller, 10, 5_000)
      const otherBuyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer })).body.id

      const res = await postOrder(t, tokens.buyer, {
        ...orderBody([{ productId, quantity: 2, productPrice: 1, subtotal: 1, sellerId: 3 } as never]),
        id: 424_242,
        buyerId: otherBuyerId,
        status: 'DELIVERED',
        totalAmount: 1,
        orderNumber: 'AAAAAAAAAAAAAAAA',
      })

      if (res.status !== 201) {
        expectProblem(res, 400, 'VALIDATION_FAILED')
        return
      }
      expect(storedOrder(t, res.body.id)).toMatchObject({ buyer_id: buyerId, status: 'PENDING', total_amount: 10_000 })
      expect(res.body.id).not.toBe(424_242)
      expect(res.body.orderNumber).not.toBe('AAAAAAAAAAAAAAAA')
      expect(res.body.orderItems[0]).toMatchObject({ productPrice: 5_000, subtotal: 10_000, sellerId: 2 })
    })
  })
})

describe('order metrics', () => {
  test('created, failed{reason} and stock-insufficient counters move with each outcome', async () => {
    const productId = await freshProduct(t, tokens.seller, 1)
    const draft = (await createProduct(t, tokens.seller, { status: 'DRAFT' })).id
    const created = await counterValue(t, 'marketplace_orders_created_total')
    const outOfStock = await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_OUT_OF_STOCK"}')
    const notFound = await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_NOT_FOUND"}')
    const insufficient = await counterValue(t, 'marketplace_products_stock_insufficient_total')

    await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
    expectProblem(await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }])), 409, 'PRODUCT_OUT_OF_STOCK')
    expectProblem(await postOrder(t, tokens.buyer, orderBody([{ productId: draft, quantity: 1 }])), 404, 'PRODUCT_NOT_FOUND')

    expect(await counterValue(t, 'marketplace_orders_created_total')).toBe(created + 1)
    expect(await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_OUT_OF_STOCK"}')).toBe(outOfStock + 1)
    expect(await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_NOT_FOUND"}')).toBe(notFound + 1)
    expect(await counterValue(t, 'marketplace_products_stock_insufficient_total')).toBe(insufficient + 1)
  })
})
