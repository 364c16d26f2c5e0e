/**
 * Idempotency-Key on POST /api/v1/orders (SPEC §6, IETF draft): per user, kept 24 h in the database (so across
 * restarts), bound to the body's fingerprint. Same key + same body → the stored 201 replayed with
 * `Idempotent-Replayed: true`; another body → 422; while the first request is in flight → 409. The in-process
 * concurrency here goes through app.handle(); the multi-process load test is a separate script.
 */
import { describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { createTestApp, expectProblem, type TestResponse, useTestApp } from '../support/harness'
import {
  counterValue,
  expectOrderResponse,
  freshProduct,
  orderBody,
  postOrder,
  SHIPPING_ADDRESS,
  snapshotOf,
  stockOf,
} from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })

let keyCounter = 0
const newKey = () => `order-key-${Date.now()}-${++keyCounter}`
const isReplay = (res: TestResponse) => res.headers.get('idempotent-replayed') === 'true'
const keyRow = (key: string) =>
  localFileOf(t.deps.database).sqlite.query('select * from idempotency_keys where key = ?').all(key) as {
    member_id: number
    state: string
  }[]

describe('Idempotency-Key on POST /api/v1/orders', () => {
  describe('happy', () => {
    test('50 concurrent identical requests with one key: one order, one decrement; every answer that order or 409', async () => {
      const productId = await freshProduct(t, tokens.seller, 100)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 3 }])
      const before = snapshotOf(t, [productId])
      const created = await counterValue(t, 'marketplace_orders_created_total')

      const responses = await Promise.all(
        Array.from({ length: 50 }, () => postOrder(t, tokens.buyer, body, key)),
      )

      const orders = responses.filter((r) => r.status === 201)
      for (const r of responses.filter((r) => r.status !== 201)) expectProblem(r, 409, 'REQUEST_IN_PROGRESS')
      expect(orders.filter((r) => !isReplay(r))).toHaveLength(1)
      for (const r of orders) expect(r.body, r.text).toEqual(orders[0]!.body)
      const after = snapshotOf(t, [productId])
      expect(after.orders).toBe(before.orders + 1)
      expect(after.outbox).toBe(before.outbox + 1)
      expect(after.idempotencyKeys).toBe(before.idempotencyKeys + 1)
      expect(stockOf(t, productId)).toMatchObject({ stock: 97, sales: 3 })
      expect(await counterValue(t, 'marketplace_orders_created_total')).toBe(created + 1)
    })

    test('a replay is 201 with the identical body, the same Location and Idempotent-Replayed: true; nothing changes', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])
      const first = await postOrder(t, tokens.buyer, body, key)
      const before = snapshotOf(t, [productId])

      const replay = await postOrder(t, tokens.buyer, body, key)

      expectOrderResponse(first, 201)
      expect(isReplay(first)).toBe(false)
      expectOrderResponse(replay, 201)
      expect(isReplay(replay)).toBe(true)
      expect(replay.text).toBe(first.text)
      expect(replay.headers.get('location')).toBe(first.headers.get('location'))
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('the same body with its JSON members in another order is the same request (replayed)', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const first = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]), key)
      const { zipCode, address, addressDetail, receiverName, receiverPhone } = SHIPPING_ADDRESS

      const reordered = await postOrder(
        t,
        tokens.buyer,
        {
          shippingAddress: { receiverPhone, receiverName, addressDetail, address, zipCode },
          orderItems: [{ quantity: 1, productId }],
        },
        key,
      )

      expect(reordered.status, reordered.text).toBe(201)
      expect(isReplay(reordered)).toBe(true)
      expect(reordered.body.id).toBe(first.body.id)
    })

    test('a replay after the order was cancelled answers the stored 201 and places nothing new', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 2 }])
      const first = await postOrder(t, tokens.buyer, body, key)
      const cancel = await t.request('POST', `/api/v1/orders/${first.body.id}/cancel`, {
        token: tokens.buyer,
      })
      expect(cancel.status, cancel.text).toBe(200)
      const before = snapshotOf(t, [productId])

      const replay = await postOrder(t, tokens.buyer, body, key)

      expect(replay.status, replay.text).toBe(201)
      expect(isReplay(replay)).toBe(true)
      expect(replay.text).toBe(first.text)
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('another user reusing the key gets their own order, not a replay of mine', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])
      const mine = await postOrder(t, tokens.buyer, body, key)

      const theirs = await postOrder(t, tokens.otherBuyer, body, key)

      expectOrderResponse(theirs, 201)
      expect(isReplay(theirs)).toBe(false)
      expect(theirs.body.id).not.toBe(mine.body.id)
      expect(theirs.body.buyerId).not.toBe(mine.body.buyerId)
      expect(stockOf(t, productId).stock).toBe(8)
      expect(keyRow(key)).toHaveLength(2)
    })

    test('a request that failed leaves no key behind: the same key succeeds once the product is on sale', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const draft = await t.request('PATCH', `/api/v1/products/${productId}`, {
        token: tokens.seller,
        body: { status: 'DRAFT' },
      })
      expect(draft.status, draft.text).toBe(200)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])

      const refused = await postOrder(t, tokens.buyer, body, key)
      const publish = await t.request('PATCH', `/api/v1/products/${productId}`, {
        token: tokens.seller,
        body: { status: 'ON_SALE' },
      })
      const retried = await postOrder(t, tokens.buyer, body, key)

      expectProblem(refused, 404, 'PRODUCT_NOT_FOUND')
      expect(publish.status, publish.text).toBe(200)
      expectOrderResponse(retried, 201)
      expect(isReplay(retried)).toBe(false)
      expect(stockOf(t, productId).stock).toBe(9)
    })

    test('after 24 h a key is forgotten: the same key and body place a new order', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])
      const first = await postOrder(t, tokens.buyer, body, key)
      const dayAgo = Date.now() - 24 * 60 * 60 * 1000 - 1
      localFileOf(t.deps.database)
        .sqlite.query('update idempotency_keys set expires_at = ? where key = ?')
        .run(dayAgo, key)

      const second = await postOrder(t, tokens.buyer, body, key)

      expectOrderResponse(second, 201)
      expect(isReplay(second)).toBe(false)
      expect(second.body.id).not.toBe(first.body.id)
      expect(stockOf(t, productId).stock).toBe(8)
    })

    test('without a key, two identical requests are two orders (keys are opt-in)', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const body = orderBody([{ productId, quantity: 1 }])

      const first = await postOrder(t, tokens.buyer, body)
      const second = await postOrder(t, tokens.buyer, body)

      expect(second.body.id).not.toBe(first.body.id)
      expect(stockOf(t, productId).stock).toBe(8)
    })
  })

  describe('error', () => {
    test('the same key with another body is a 422 IDEMPOTENCY_KEY_MISMATCH and changes nothing', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 1 }]), key)
      const before = snapshotOf(t, [productId])

      const otherQuantity = await postOrder(t, tokens.buyer, orderBody([{ productId, quantity: 2 }]), key)
      const otherAddress = await postOrder(
        t,
        tokens.buyer,
        orderBody([{ productId, quantity: 1 }], {
          shippingAddress: { ...SHIPPING_ADDRESS, zipCode: '99999' },
        }),
        key,
      )

      expectProblem(otherQuantity, 422, 'IDEMPOTENCY_KEY_MISMATCH')
      expectProblem(otherAddress, 422, 'IDEMPOTENCY_KEY_MISMATCH')
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('while the first request is in flight, the same key is a 409 REQUEST_IN_PROGRESS with Retry-After', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])
      await postOrder(t, tokens.buyer, body, key)
      // what another process's claim looks like before its transaction completes the key
      localFileOf(t.deps.database)
        .sqlite.query(
          "update idempotency_keys set state = 'IN_PROGRESS', response_status = null, response_body = null where key = ?",
        )
        .run(key)
      const before = snapshotOf(t, [productId])

      const res = await postOrder(t, tokens.buyer, body, key)

      expectProblem(res, 409, 'REQUEST_IN_PROGRESS')
      expect(res.headers.get('retry-after')).toBe('1')
      expect(snapshotOf(t, [productId])).toEqual(before)
    })

    test('a key of 256 characters or an empty key is a 400 VALIDATION_FAILED; 255 characters are accepted', async () => {
      const productId = await freshProduct(t, tokens.seller, 10)
      const body = orderBody([{ productId, quantity: 1 }])
      const before = snapshotOf(t, [productId])

      const tooLong = await postOrder(t, tokens.buyer, body, 'k'.repeat(256))
      const empty = await postOrder(t, tokens.buyer, body, '')

      expectProblem(tooLong, 400, 'VALIDATION_FAILED')
      expectProblem(empty, 400, 'VALIDATION_FAILED')
      expect(snapshotOf(t, [productId])).toEqual(before)
      const longest = await postOrder(t, tokens.buyer, body, 'k'.repeat(255))
      expectOrderResponse(longest, 201)
    })
  })
})

describe('Idempotency keys across a restart', () => {
  test('a key stored before a restart is replayed after it, and a different body is still a 422', async () => {
    let app = await createTestApp()
    try {
      const personas = await app.tokens()
      const productId = await freshProduct(app, personas.seller, 10)
      const key = newKey()
      const body = orderBody([{ productId, quantity: 1 }])
      const first = await postOrder(app, personas.buyer, body, key)
      expectOrderResponse(first, 201)

      app = await app.restart()
      const replay = await postOrder(app, personas.buyer, body, key)
      const mismatch = await postOrder(app, personas.buyer, orderBody([{ productId, quantity: 2 }]), key)

      expect(replay.status, replay.text).toBe(201)
      expect(isReplay(replay)).toBe(true)
      expect(replay.text).toBe(first.text)
      expectProblem(mismatch, 422, 'IDEMPOTENCY_KEY_MISMATCH')
      expect(stockOf(app, productId).stock).toBe(9)
    } finally {
      await app.close()
    }
  })
})
