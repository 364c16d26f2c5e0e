/**
 * POST /api/v1/orders refused (SPEC §3, §5): all or nothing (one line short of stock and no line is taken, no
 * order, no event), DRAFT/DELETED/unknown products, bad input, wrong callers and server-owned fields. After every
 * refusal the stock, the orders, their lines, the outbox and the idempotency keys are checked unchanged. Also
 * the order counters of /actuator/prometheus (created and failed by reason).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createProduct, expectUnauthenticated } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'
import {
  counterValue,
  countOf,
  freshProduct,
  type OrderLine,
  orderBody,
  placeOrder,
  postOrder,
  SHIPPING_ADDRESS,
  snapshotOf,
  stockOf,
  storedOrder,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })
let buyerId: number
beforeAll(async () => {
  buyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.buyer })).body.id
})

describe('POST /api/v1/orders', () => {
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
    // deliberately ill-typed lines: the server must refuse what TypeScript would
    const line = (productId: unknown, quantity: unknown) => ({ productId, quantity }) as OrderLine
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
      [
        'a shippingAddress without receiverName',
        (p) => orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, receiverName: undefined } }),
      ],
      [
        'a blank address',
        (p) => orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, address: '   ' } }),
      ],
      [
        'a receiverPhone with letters',
        (p) =>
          orderBody([line(p, 1)], { shippingAddress: { ...SHIPPING_ADDRESS, receiverPhone: 'call me' } }),
      ],
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

    test('lines of one product that merge to more than 1,000 are a 400 naming orderItems, even with the stock there', async () => {
      const productId = await freshProduct(t, tokens.seller, 5_000)
      const before = snapshotOf(t, [productId])

      const res = await postOrder(
        t,
        tokens.buyer,
        orderBody([line(productId, 1000), line(productId, 1)]),
        'merged',
      )
      const atLimit = await postOrder(
        t,
        tokens.buyer,
        orderBody([line(productId, 600), line(productId, 400)]),
      )

      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(res.body.errors, res.text).toEqual([
        { field: 'orderItems', message: `product ${productId}: merged quantity 1001 exceeds 1000` },
      ])
      expect(atLimit.status, atLimit.text).toBe(201)
      expect(stockOf(t, productId).stock).toBe(before.stock[0]!.stock - 1000)
      expect(countOf(t, 'idempotency_keys')).toBe(before.idempotencyKeys)
    })

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
      const otherBuyerId = (await t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer })).body
        .id

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
      expect(storedOrder(t, res.body.id)).toMatchObject({
        buyer_id: buyerId,
        status: 'PENDING',
        total_amount: 10_000,
      })
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
    const outOfStock = await counterValue(
      t,
      'marketplace_orders_failed_total',
      '{reason="PRODUCT_OUT_OF_STOCK"}',
    )
    const notFound = await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_NOT_FOUND"}')
    const insufficient = await counterValue(t, 'marketplace_products_stock_insufficient_total')

    await placeOrder(t, tokens.buyer, [{ productId, quantity: 1 }])
    expectProblem(
      await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }])),
      409,
      'PRODUCT_OUT_OF_STOCK',
    )
    expectProblem(
      await postOrder(t, tokens.buyer, orderBody([{ productId: draft, quantity: 1 }])),
      404,
      'PRODUCT_NOT_FOUND',
    )

    expect(await counterValue(t, 'marketplace_orders_created_total')).toBe(created + 1)
    expect(await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_OUT_OF_STOCK"}')).toBe(
      outOfStock + 1,
    )
    expect(await counterValue(t, 'marketplace_orders_failed_total', '{reason="PRODUCT_NOT_FOUND"}')).toBe(
      notFound + 1,
    )
    expect(await counterValue(t, 'marketplace_products_stock_insufficient_total')).toBe(insufficient + 1)
  })
})
