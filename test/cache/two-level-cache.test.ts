/**
 * The two-level read cache against the real Redis that `bun test` starts (issue 4): cache-aside fills and
 * TTLs, invalidation on every write that changes a cached read (same instance at once, a second instance through
 * pub/sub), and stampede protection (single flight per instance plus the Redis fill lock across instances).
 * Two apps on one database file and one Redis stand for two server processes.
 */
import { describe, expect, test } from 'bun:test'
import { createTestApp, redisTestEnv, type TestApp, useTestApp } from '../support/harness'
import { counterValue, freshProduct, placeOrder } from '../support/order-fixtures'
import { redisCli } from '../support/throwaway-redis'

const DETAIL = '{cache="product-detail"}'
/** long, so that only a pub/sub message can explain a second instance's fresh read */
const L1_TTL_MS = 60_000
const STAMPEDE_L1_TTL_MS = 100

const {
  t: a,
  second: b,
  tokens,
  env,
} = useTestApp(async () => ({ ...(await redisTestEnv('cache')), CACHE_L1_TTL_MS: String(L1_TTL_MS) }), {
  secondInstance: true,
  tokens: true,
})

const redisKey = (key: string) => `${env.REDIS_KEY_PREFIX}cache:${key}`
const cli = (...args: string[]) => redisCli(env.REDIS_URL, ...args)
const loads = (t: TestApp, labels = DETAIL) => counterValue(t, 'marketplace_cache_loads_total', labels)
const hits = (t: TestApp, level: 'l1' | 'l2') =>
  counterValue(t, 'marketplace_cache_hits_total', `{cache="product-detail",level="${level}"}`)
const detail = (t: TestApp, id: number) => t.request('GET', `/api/v1/products/${id}`)

async function eventually<T>(read: () => Promise<T>, isDone: (value: T) => boolean, withinMs: number) {
  const startedAt = performance.now()
  let value = await read()
  while (!isDone(value) && performance.now() - startedAt < withinMs) {
    await Bun.sleep(5)
    value = await read()
  }
  return { value, elapsedMs: performance.now() - startedAt }
}

describe('cache-aside fills and TTLs', () => {
  test('a miss loads once and fills Redis with a readable, versioned key; the next reads are L1 hits', async () => {
    const id = await freshProduct(a, tokens.seller, 10)
    const loadsBefore = await loads(a)
    const l1Before = await hits(a, 'l1')

    const first = await detail(a, id)
    expect(first.status, first.text).toBe(200)
    expect(await loads(a)).toBe(loadsBefore + 1)
    const stored = cli('get', redisKey(`product-detail:v1:${id}`))
    expect(JSON.parse(stored)).toEqual(first.body)

    for (let i = 0; i < 5; i++) expect((await detail(a, id)).body).toEqual(first.body)
    expect(await loads(a)).toBe(loadsBefore + 1)
    expect(await hits(a, 'l1')).toBe(l1Before + 5)
  })

  test('TTLs: product detail 5 min, popular 10 min, categories 1 h, each with ±10 % jitter', async () => {
    const id = await freshProduct(a, tokens.seller, 10)
    await detail(a, id)
    await a.request('GET', '/api/v1/products/popular')
    await a.request('GET', '/api/v1/categories')
    const ttlSeconds = (key: string) => Number(cli('pttl', redisKey(key))) / 1000
    const within = (seconds: number, nominal: number) => [seconds >= nominal * 0.89, seconds <= nominal * 1.1]
    expect(within(ttlSeconds(`product-detail:v1:${id}`), 300)).toEqual([true, true])
    expect(within(ttlSeconds('products-popular:v1:top'), 600)).toEqual([true, true])
    expect(within(ttlSeconds('categories:v1:all'), 3600)).toEqual([true, true])
  })

  test('another instance answers from Redis (an L2 hit) without touching the database', async () => {
    const id = await freshProduct(a, tokens.seller, 10)
    const fromA = await detail(a, id)
    const [loadsBefore, l2Before] = [await loads(b), await hits(b, 'l2')]
    const fromB = await detail(b, id)
    expect(fromB.body).toEqual(fromA.body)
    expect(fromB.headers.get('etag')).toBe(`"${fromA.body.version}"`)
    expect(await loads(b)).toBe(loadsBefore)
    expect(await hits(b, 'l2')).toBe(l2Before + 1)
  })

  test('CACHE_L1_TTL_MS=0: no in-process level, every read after the fill is answered by Redis', async () => {
    // its own database, so its own key prefix: ids must not collide with the other apps' cached products
    const noL1 = await createTestApp({ ...(await redisTestEnv('cache-no-l1')), CACHE_L1_TTL_MS: '0' })
    try {
      const id = await freshProduct(noL1, (await noL1.tokens()).seller, 10)
      for (let i = 0; i < 4; i++) expect((await detail(noL1, id)).status).toBe(200)
      expect(await loads(noL1)).toBe(1)
      expect(await hits(noL1, 'l2')).toBe(3)
      expect(await hits(noL1, 'l1')).toBe(0)
    } finally {
      await noL1.close()
    }
  })

  test('a missing product is remembered as absent for 30 s (scans of unknown ids stay off the database)', async () => {
    const res = await detail(a, 987_654)
    expect(res.status).toBe(404)
    expect(cli('get', redisKey('product-detail:v1:987654'))).toBe('null')
    const ttl = Number(cli('pttl', redisKey('product-detail:v1:987654')))
    expect(ttl).toBeGreaterThan(25_000)
    expect(ttl).toBeLessThanOrEqual(33_000)
  })

  test('DRAFT products are cached once but shown only to their seller and admins', async () => {
    const created = await a.request('POST', '/api/v1/products', {
      token: tokens.seller,
      body: { name: 'Cached draft', price: 1000, stockQuantity: 3 },
    })
    const id = created.body.id as number
    expect((await a.request('GET', `/api/v1/products/${id}`, { token: tokens.seller })).status).toBe(200)
    expect((await detail(a, id)).status).toBe(404)
    expect((await a.request('GET', `/api/v1/products/${id}`, { token: tokens.otherSeller })).status).toBe(404)
    expect((await a.request('GET', `/api/v1/products/${id}`, { token: tokens.admin })).status).toBe(200)
  })
})

describe('invalidation', () => {
  test('an edit is visible at once on the same instance and within milliseconds on the other (pub/sub)', async () => {
    const id = await freshProduct(a, tokens.seller, 10)
    await detail(a, id)
    await detail(b, id) // both L1s hold it now, for a minute
    const res = await a.request('PATCH', `/api/v1/products/${id}`, {
      token: tokens.seller,
      body: { name: 'Renamed through A', price: 4321 },
    })
    expect(res.status, res.text).toBe(200)
    expect((await detail(a, id)).body).toMatchObject({ name: 'Renamed through A', price: 4321 })
    const seen = await eventually(
      () => detail(b, id),
      (r) => r.body.name === 'Renamed through A',
      1_000,
    )
    expect(seen.value.body).toMatchObject({ name: 'Renamed through A', price: 4321 })
    console.log(`[cache] instance B saw instance A's edit after ${seen.elapsedMs.toFixed(1)} ms`)
  })

  test('an order on one instance shows its stock and sales on the other; a cancel brings them back', async () => {
    const id = await freshProduct(a, tokens.seller, 10)
    await detail(a, id)
    await detail(b, id)
    const order = await placeOrder(a, tokens.buyer, [{ productId: id, quantity: 4 }])
    const stockOn = (t: TestApp) =>
      eventually(
        () => detail(t, id),
        (r) => r.body.stockQuantity === 6,
        1_000,
      )
    expect((await stockOn(a)).value.body).toMatchObject({ stockQuantity: 6, salesCount: 4 })
    expect((await stockOn(b)).value.body).toMatchObject({ stockQuantity: 6, salesCount: 4 })

    const cancelled = await b.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: tokens.buyer })
    expect(cancelled.status, cancelled.text).toBe(200)
    expect((await detail(b, id)).body).toMatchObject({ stockQuantity: 10 })
    const back = await eventually(
      () => detail(a, id),
      (r) => r.body.stockQuantity === 10,
      1_000,
    )
    expect(back.value.body).toMatchObject({ stockQuantity: 10 })
  })

  test('the last unit sold turns the cached product SOLD_OUT everywhere', async () => {
    const id = await freshProduct(a, tokens.seller, 2)
    await detail(b, id)
    await placeOrder(a, tokens.buyer, [{ productId: id, quantity: 2 }])
    const soldOut = await eventually(
      () => detail(b, id),
      (r) => r.body.status === 'SOLD_OUT',
      1_000,
    )
    expect(soldOut.value.body).toMatchObject({ status: 'SOLD_OUT', stockQuantity: 0, salesCount: 2 })
  })

  test('the cached popular list follows sales: a best seller enters it on the other instance', async () => {
    const leader = await freshProduct(a, tokens.seller, 5_000)
    await placeOrder(a, tokens.buyer, [{ productId: leader, quantity: 500 }])
    const id = await freshProduct(a, tokens.seller, 5_000)
    const popular = async () => (await b.request('GET', '/api/v1/products/popular')).body
    expect((await popular())[0].id).toBe(leader) // cached now
    await placeOrder(a, tokens.buyer, [{ productId: id, quantity: 1_000 }])
    const seen = await eventually(popular, (list) => list[0].id === id, 1_000)
    expect(seen.value[0]).toMatchObject({ id, salesCount: 1_000 })
  })

  test('a delete answers 404 everywhere; a status change to DRAFT hides it from the public', async () => {
    const gone = await freshProduct(a, tokens.seller, 5)
    const hidden = await freshProduct(a, tokens.seller, 5)
    for (const t of [a, b]) for (const id of [gone, hidden]) expect((await detail(t, id)).status).toBe(200)
    expect((await a.request('DELETE', `/api/v1/products/${gone}`, { token: tokens.seller })).status).toBe(204)
    const toDraft = await a.request('PATCH', `/api/v1/products/${hidden}`, {
      token: tokens.seller,
      body: { status: 'DRAFT' },
    })
    expect(toDraft.status, toDraft.text).toBe(200)
    for (const t of [a, b]) {
      for (const id of [gone, hidden]) {
        const res = await eventually(
          () => detail(t, id),
          (r) => r.status === 404,
          1_000,
        )
        expect(res.value.status).toBe(404)
      }
    }
  })

  test("a seller's new name shows on their cached products; a new category shows in the cached list", async () => {
    const id = await freshProduct(a, tokens.otherSeller, 5)
    await detail(b, id)
    await b.request('GET', '/api/v1/categories')
    const renamed = await a.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherSeller,
      body: { name: 'Renamed Seller' },
    })
    expect(renamed.status, renamed.text).toBe(200)
    const category = await a.request('POST', '/api/v1/admin/categories', {
      token: tokens.admin,
      body: { name: 'Freshly cached' },
    })
    expect(category.status, category.text).toBe(201)

    const seller = await eventually(
      () => detail(b, id),
      (r) => r.body.sellerName === 'Renamed Seller',
      1_000,
    )
    expect(seller.value.body.sellerName).toBe('Renamed Seller')
    const names = await eventually(
      async () => (await b.request('GET', '/api/v1/categories')).body.map((c: { name: string }) => c.name),
      (list: string[]) => list.includes('Freshly cached'),
      1_000,
    )
    expect(names.value).toContain('Freshly cached')
    expect((await b.request('GET', `/api/v1/categories/${category.body.id}`)).status).toBe(200)
  })

  test('an image upload shows in the cached detail', async () => {
    const id = await freshProduct(a, tokens.seller, 5)
    expect((await detail(b, id)).body.images).toEqual([])
    const form = new FormData()
    const png = Uint8Array.from(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
        'base64',
      ),
    )
    form.append('files', new File([png], 'dot.png', { type: 'image/png' }))
    const upload = await a.request('POST', `/api/v1/products/${id}/images`, {
      token: tokens.seller,
      rawBody: form,
    })
    expect(upload.status, upload.text).toBe(200)
    const seen = await eventually(
      () => detail(b, id),
      (r) => r.body.images.length === 1,
      1_000,
    )
    expect(seen.value.body.images).toHaveLength(1)
  })
})

describe('stampede protection', () => {
  // a database of their own, so a key prefix of their own
  const {
    t: c,
    second: d,
    env: stampedeEnv,
  } = useTestApp(
    async () => ({ ...(await redisTestEnv('cache-stampede')), CACHE_L1_TTL_MS: String(STAMPEDE_L1_TTL_MS) }),
    { secondInstance: true },
  )

  test('300 concurrent reads of an expired hot key over two instances: the database is queried at most once per instance', async () => {
    const id = await freshProduct(c, (await c.tokens()).seller, 10)
    await detail(c, id)
    await detail(d, id)
    // the key expires: Redis drops it (as its TTL would) and both memories let their short TTL run out
    const key = `${stampedeEnv.REDIS_KEY_PREFIX}cache:product-detail:v1:${id}`
    expect(cli('exists', key)).toBe('1')
    cli('del', key)
    await Bun.sleep(STAMPEDE_L1_TTL_MS + 20)
    const before = [await loads(c), await loads(d)]

    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => detail(i % 2 === 0 ? c : d, id)),
    )
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]))
    expect(new Set(responses.map((r) => r.body.version)).size).toBe(1)
    const perInstance = [(await loads(c)) - before[0]!, (await loads(d)) - before[1]!]
    console.log(`[cache] stampede of 300 reads: database loads per instance ${perInstance.join(' + ')}`)
    expect(perInstance[0]).toBeLessThanOrEqual(1)
    expect(perInstance[1]).toBeLessThanOrEqual(1)
    // the Redis lock makes it one across instances unless the holder took longer than the waiters' patience
    expect(perInstance[0]! + perInstance[1]!).toBeGreaterThanOrEqual(1)
    expect(cli('exists', key)).toBe('1') // refilled once
    expect(cli('exists', `${stampedeEnv.REDIS_KEY_PREFIX}cache-lock:product-detail:v1:${id}`)).toBe('0') // and the lock released
  })
})
