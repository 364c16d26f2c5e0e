/**
 * Flash sale against real server processes (src/main.ts) on one database, a shared SQLite file or a sqld primary:
 * 1,000 concurrent order requests for a product with stock 100, first through one process, then spread over two
 * processes. While the load runs, the product is polled through the API and the ledger is read from the database
 * through a separate connection (the file read-only, or the sqld primary); `sold + remaining == initial` must hold at every one of those reads. The
 * processes share Redis as instances must (the product cache invalidates across instances through it).
 */
import { describe, expect, test } from 'bun:test'
import { redisTestEnv } from '../harness'
import {
  type ApiResponse,
  api,
  CACHE_PROPAGATION_MS,
  countServerErrors,
  createProduct,
  errorLogLines,
  inParallel,
  orderBody,
  randomInt,
  tally,
} from '../server-process'
import { DATABASE_NAMES, useSharedFileServers } from '../shared-file-servers'

/** The whole scenario on `database`: one SQLite file the processes share, or a libSQL server (sqld). */
export function flashSaleScenario(database: 'file' | 'sqld'): void {
  const BUYERS = 100
  const ORDER_REQUESTS = 1_000
  const IN_FLIGHT = 200
  const INITIAL_STOCK = 100

  const { servers, ledger, tokens, start } = useSharedFileServers({
    name: `orders-flash-sale-${database}`,
    database,
    env: () => redisTestEnv(`orders-flash-sale-${database}`),
    processes: 1,
    buyers: { count: BUYERS, tag: 'flash' },
  })

  type FlashSaleResult = {
    productId: number
    requested: number[]
    responses: ApiResponse[]
    violations: string[]
    /** reads of each kind, and how many of them caught the sale half-way (0 < remaining < initial) */
    reads: { api: number; db: number; midSale: number }
    elapsedMs: number
  }

  /** 1,000 buyers (100 accounts × 10 requests) race for the stock; requests go round-robin over `baseUrls`. */
  async function runFlashSale(baseUrls: string[], label: string): Promise<FlashSaleResult> {
    const { id: productId } = await createProduct(baseUrls[0]!, tokens.seller, {
      name: `Flash sale ${label}`,
      price: 10_000,
      stockQuantity: INITIAL_STOCK,
    })
    const requested = Array.from({ length: ORDER_REQUESTS }, () => randomInt(1, 3))
    const violations: string[] = []
    const reads = { api: 0, db: 0, midSale: 0 }
    const checkRead = (source: string, remaining: number, sold: number) => {
      if (remaining > 0 && remaining < INITIAL_STOCK) reads.midSale++
      if (remaining < 0 || sold + remaining !== INITIAL_STOCK) {
        violations.push(`${source} read: remaining ${remaining} + sold ${sold} != ${INITIAL_STOCK}`)
      }
    }
    let isLoadRunning = true
    const pollDatabase = async () => {
      while (isLoadRunning) {
        await Bun.sleep(CACHE_PROPAGATION_MS)
        const [row] = await ledger.read([productId])
        reads.db++
        checkRead('db', row!.remaining, row!.sold)
        if (row!.salesCount !== row!.sold)
          violations.push(`db read: salesCount ${row!.salesCount} != ${row!.sold}`)
        await Bun.sleep(1)
      }
    }
    const pollApi = async (baseUrl: string) => {
      while (isLoadRunning) {
        const res = await api(baseUrl, 'GET', `/api/v1/products/${productId}`)
        reads.api++
        if (res.status !== 200) violations.push(`api read: ${res.status} ${res.text}`)
        else checkRead('api', res.body.stockQuantity, res.body.salesCount)
      }
    }
    const pollers = [pollDatabase(), ...[...baseUrls, ...baseUrls, ...baseUrls].map(pollApi)]

    const started = performance.now()
    const responses = await inParallel(requested, IN_FLIGHT, (quantity, i) =>
      api(baseUrls[i % baseUrls.length]!, 'POST', '/api/v1/orders', {
        token: tokens.buyers[i % tokens.buyers.length],
        body: orderBody([{ productId, quantity }]),
      }),
    )
    const elapsedMs = performance.now() - started
    isLoadRunning = false
    await Promise.all(pollers)
    return { productId, requested, responses, violations, reads, elapsedMs }
  }

  /** Every assertion of the scenario, and its one-line summary. */
  async function expectNoOversell(result: FlashSaleResult, baseUrls: string[], label: string) {
    const { productId, requested, responses } = result
    const won = responses.flatMap((res, i) => (res.status === 201 ? [i] : []))
    const lost = responses.filter((res) => res.status !== 201)
    const soldByResponses = won.reduce((sum, i) => sum + requested[i]!, 0)
    const counts = tally(responses)
    console.log(
      `[orders-concurrency] ${label} (${database}): ${ORDER_REQUESTS} requests (qty 1-3, stock ${INITIAL_STOCK}), ` +
        `201: ${won.length} (qty ${soldByResponses}), 409: ${counts['409 PRODUCT_OUT_OF_STOCK'] ?? 0}, ` +
        `5xx/network: ${countServerErrors(responses)}, reads api ${result.reads.api} / db ${result.reads.db} ` +
        `(${result.reads.midSale} mid-sale), ${Math.round(result.elapsedMs)} ms`,
    )

    expect(countServerErrors(responses), JSON.stringify(counts)).toBe(0)
    expect(Object.keys(counts).sort(), JSON.stringify(counts)).toEqual(['201', '409 PRODUCT_OUT_OF_STOCK'])
    for (const i of won)
      expect(responses[i]!.body.orderItems).toMatchObject([{ productId, quantity: requested[i] }])
    for (const res of lost) expect(res.body.detail, res.text).toContain(`Product ${productId}`)
    expect(soldByResponses).toBe(INITIAL_STOCK)
    expect(result.violations.slice(0, 5)).toEqual([])

    await Bun.sleep(CACHE_PROPAGATION_MS)
    const [row] = await ledger.read([productId])
    expect(row).toMatchObject({
      remaining: 0,
      sold: INITIAL_STOCK,
      salesCount: INITIAL_STOCK,
      status: 'SOLD_OUT',
    })
    for (const baseUrl of baseUrls) {
      const res = await api(baseUrl, 'GET', `/api/v1/products/${productId}`)
      expect(res.body, res.text).toMatchObject({
        stockQuantity: 0,
        salesCount: INITIAL_STOCK,
        status: 'SOLD_OUT',
      })
    }
    const ordersOfProduct = await ledger.count(
      'select count(distinct order_id) as n from order_items where product_id = ?',
      productId,
    )
    const outboxRows = await ledger.count(
      `select count(*) as n from outbox_events where event_type = 'order.created'
         and aggregate_id in (select cast(order_id as text) from order_items where product_id = ?)`,
      productId,
    )
    expect({ ordersOfProduct, outboxRows }).toEqual({ ordersOfProduct: won.length, outboxRows: won.length })
    for (const server of servers) expect(errorLogLines(server)).toEqual([])
  }

  describe(`POST /api/v1/orders under a flash sale (real processes, ${DATABASE_NAMES[database]})`, () => {
    test('1,000 concurrent buyers on one process: exactly the stock is sold, every loser gets 409, no 5xx', async () => {
      const baseUrls = [servers[0]!.baseUrl]
      const result = await runFlashSale(baseUrls, 'one process')
      await expectNoOversell(result, baseUrls, 'one process')
    }, 60_000)

    test('1,000 concurrent buyers spread over two processes on the same database: same guarantees, no SQLITE_BUSY', async () => {
      await start()
      const baseUrls = servers.map((server) => server.baseUrl)
      const result = await runFlashSale(baseUrls, 'two processes')
      await expectNoOversell(result, baseUrls, 'two processes')
    }, 60_000)
  })

  if (database === 'file') {
    describe('the read-only ledger connection', () => {
      test('cannot write to the file (it only observes)', async () => {
        await expect(
          ledger.count("update products set name = 'x' where id = 1 returning 1 as n"),
        ).rejects.toThrow()
      })
    })
  }
}
