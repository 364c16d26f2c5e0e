/**
 * The k6 scenarios of k6/ in the shapes k6 runs them, for `bun run load` (k6 itself is not permitted on the
 * project's machines): the same journeys, the same per-user identities, the same SLOs (k6/lib/slo.js), the same
 * invariants. Virtual users are async loops in this process, each with its own keep-alive connections.
 */
import { DEMO_PRODUCTS } from '../../k6/lib/fixtures.js'
import { SLO } from '../../k6/lib/slo.js'
import type { Client } from './client'
import type { Recorder, Threshold } from './recorder'

export type LoadSettings = { vus?: number; seconds?: number; buyers?: number; stock?: number }
export type Scenario = (client: Client, recorder: Recorder, settings: LoadSettings) => Promise<Threshold[]>

const isExpected =
  (...refusals: number[]) =>
  (status: number) =>
    (status >= 200 && status < 400) || refusals.includes(status)

function countThreshold(recorder: Recorder, counter: string, wanted: number): Threshold {
  const value = recorder.count(counter)
  return { name: `${counter} == ${wanted}`, isMet: value === wanted, detail: String(value) }
}

function errorRateThreshold(recorder: Recorder, ...refusals: number[]): Threshold {
  const rate = recorder.failedRate(isExpected(...refusals))
  return {
    name: `failed requests < ${SLO.errorRate * 100} %`,
    isMet: rate < SLO.errorRate,
    detail: `${(rate * 100).toFixed(2)} %`,
  }
}

/** Runs `count` tasks at most `parallel` at a time. */
async function inBatches<T>(count: number, parallel: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const i = next++
        results[i] = await task(i)
      }
    }),
  )
  return results
}

/**
 * Virtual users 1..target(elapsed) run `iteration` in a loop until `seconds` have passed; users above the target
 * stop after their current iteration (ramping), new ones start as the target grows.
 */
async function runVus(
  target: (elapsedSeconds: number) => number,
  seconds: number,
  iteration: (vu: number, round: number) => Promise<void>,
): Promise<void> {
  const startedAt = performance.now()
  const elapsed = () => (performance.now() - startedAt) / 1000
  const running = new Map<number, Promise<void>>()
  const loop = async (vu: number) => {
    for (let round = 0; elapsed() < seconds && vu <= target(elapsed()); round++) await iteration(vu, round)
    running.delete(vu)
  }
  while (elapsed() < seconds) {
    for (let vu = 1; vu <= target(elapsed()); vu++) if (!running.has(vu)) running.set(vu, loop(vu))
    await Bun.sleep(200)
  }
  await Promise.all(running.values())
}

/** k6/lib/journeys.js accountsFor: users 1..count signed up before the measured phase (as k6's setup()). */
function accountsFor(client: Client, count: number): Promise<string[]> {
  return inBatches(count, 8, (i) => client.buyer(i + 1))
}

type JourneyData = { tokens: string[]; productIds: number[] }

/** …and products of this run with stock for any run (an earlier run never leaves them sold out). */
async function journeyData(client: Client, count: number): Promise<JourneyData> {
  const tokens = await accountsFor(client, count)
  const productIds: number[] = []
  for (let i = 0; i < 4; i++) productIds.push(await client.productWithStock(1_000_000))
  return { tokens, productIds }
}

/** k6/lib/journeys.js: browse (search, two details, a cursor page); every `orderEvery` visits order, pay, maybe cancel. */
function journey(
  client: Client,
  recorder: Recorder,
  { tokens, productIds }: JourneyData,
  options: { orderEvery?: number; cancelEvery?: number; pauseMs?: number } = {},
) {
  const { orderEvery = 4, cancelEvery = 3, pauseMs = 500 } = options
  const watch = (answer: { status: number; body: any }) => {
    const stock = answer.body?.stockQuantity
    if (typeof stock === 'number' && stock < 0) recorder.add('oversold')
    return answer
  }
  return async (vu: number, round: number) => {
    const token = tokens[(vu - 1) % tokens.length]!
    const search = watch(
      await client.call(vu, 'search', 'GET', '/api/v1/products?keyword=a&size=20', { token }),
    )
    recorder.check(search.status === 200, `search ${search.status}`)
    // a demo product and one of the run's
    for (const id of [1 + (round % DEMO_PRODUCTS), productIds[round % productIds.length]!]) {
      const detail = watch(await client.call(vu, 'detail', 'GET', `/api/v1/products/${id}`, { token }))
      recorder.check(detail.status === 200, `detail ${detail.status}`)
    }
    const page = watch(await client.call(vu, 'cursor', 'GET', '/api/v1/products/cursor?limit=20', { token }))
    recorder.check(page.status === 200, `cursor ${page.status}`)
    if (round % orderEvery === 0) {
      const order = watch(await client.placeOrder(vu, token, productIds[round % productIds.length]!))
      recorder.check(order.status === 201 || order.status === 409, `order ${order.status}`)
      if (order.status === 201) {
        const payment = await client.pay(vu, token, order.body.id)
        recorder.check(payment.status === 200, `payment ${payment.status}`)
        if (round % (orderEvery * cancelEvery) === 0) {
          const cancel = await client.call(vu, 'cancel', 'POST', `/api/v1/orders/${order.body.id}/cancel`, {
            token,
          })
          recorder.check(cancel.status === 200, `cancel ${cancel.status}`)
        }
      }
    }
    await Bun.sleep(pauseMs)
  }
}

function journeyThresholds(recorder: Recorder, latencies: Record<string, { p95?: number; p99?: number }>) {
  return [
    countThreshold(recorder, 'oversold', 0),
    countThreshold(recorder, 'server_errors', 0),
    errorRateThreshold(recorder, 409),
    ...recorder.latencyThresholds(latencies),
  ]
}

export const SCENARIOS: Record<string, Scenario> = {
  /** k6/concurrency-test.js: every buyer orders the one product at once; exactly the stock is sold. */
  async concurrency(client, recorder, settings) {
    const buyers = settings.buyers ?? 150
    const stock = settings.stock ?? 50
    const productId = await client.productWithStock(stock)
    const tokens = await accountsFor(client, buyers)
    recorder.start()
    const answers = await Promise.all(tokens.map((token, i) => client.placeOrder(i + 1, token, productId)))
    recorder.end()
    for (const answer of answers) {
      if (answer.status === 201) recorder.add('orders_sold')
      else if (answer.status === 409 && answer.body?.code === 'PRODUCT_OUT_OF_STOCK')
        recorder.add('orders_refused')
      recorder.check(
        answer.status === 201 || (answer.status === 409 && answer.body?.code === 'PRODUCT_OUT_OF_STOCK'),
        `order ${answer.status} ${answer.body?.code ?? ''}`,
      )
    }
    await Bun.sleep(1_000) // the caches of every instance hear of the sales (Redis pub/sub)
    const product = (await client.call(0, 'detail', 'GET', `/api/v1/products/${productId}`)).body
    const sold = recorder.count('orders_sold')
    const invariants = [
      recorder.check(product.stockQuantity >= 0, `stock ${product.stockQuantity} < 0`),
      recorder.check(product.salesCount + product.stockQuantity === stock, 'sold + remaining != initial'),
      recorder.check(product.salesCount === sold, `salesCount ${product.salesCount} != ${sold} answered 201`),
    ]
    if (invariants.includes(false) || sold > stock) recorder.add('oversold', Math.max(1, sold - stock))
    return [
      countThreshold(recorder, 'oversold', 0),
      countThreshold(recorder, 'server_errors', 0),
      countThreshold(recorder, 'orders_sold', stock),
      countThreshold(recorder, 'orders_refused', buyers - stock),
      {
        name: 'checks all pass',
        isMet: recorder.checksFailed === 0,
        detail: `${recorder.checksFailed} failed`,
      },
      ...recorder.latencyThresholds(SLO.concurrency),
    ]
  },

  /** k6/smoke.js: one buyer, twelve journeys, every one ordering. */
  async smoke(client, recorder) {
    const visit = journey(client, recorder, await journeyData(client, 1), {
      orderEvery: 1,
      cancelEvery: 2,
      pauseMs: 100,
    })
    recorder.start()
    for (let round = 0; round < 12; round++) await visit(1, round)
    recorder.end()
    return [
      ...journeyThresholds(recorder, SLO.journey),
      {
        name: 'checks all pass',
        isMet: recorder.checksFailed === 0,
        detail: `${recorder.checksFailed} failed`,
      },
    ]
  },

  /** k6/browse-and-order.js */
  async 'browse-and-order'(client, recorder, settings) {
    const vus = settings.vus ?? 50
    const visit = journey(client, recorder, await journeyData(client, vus))
    recorder.start()
    await runVus(() => vus, settings.seconds ?? 60, visit)
    recorder.end()
    return journeyThresholds(recorder, SLO.journey)
  },

  /** k6/spike.js: 10 users, 30× in ten seconds, held, then back (times scaled to `seconds`, 140 by default) */
  async spike(client, recorder, settings) {
    const peak = settings.vus ?? 300
    const total = settings.seconds ?? 140
    const at = (fraction: number) => total * fraction
    const target = (t: number) => {
      if (t < at(0.21) || t > at(0.86)) return 10
      if (t < at(0.29)) return Math.round(10 + ((t - at(0.21)) / (at(0.29) - at(0.21))) * (peak - 10))
      if (t > at(0.79)) return Math.round(peak - ((t - at(0.79)) / (at(0.86) - at(0.79))) * (peak - 10))
      return peak
    }
    const visit = journey(client, recorder, await journeyData(client, peak), { pauseMs: 200 })
    recorder.start()
    await runVus(target, total, visit)
    recorder.end()
    return journeyThresholds(recorder, { ...SLO.journey, ...SLO.spike })
  },

  /** k6/soak.js: steady moderate load for a long time (30 minutes by default) */
  async soak(client, recorder, settings) {
    const vus = settings.vus ?? 30
    const visit = journey(client, recorder, await journeyData(client, vus), { pauseMs: 1_000 })
    recorder.start()
    await runVus(() => vus, settings.seconds ?? 1_800, visit)
    recorder.end()
    return journeyThresholds(recorder, SLO.journey)
  },

  /**
   * k6/circuit-breaker.js: the payment gateway breaks 30 s in, heals 30 s later; 503s then recovery (times
   * scaled to `seconds`, 100 by default). A failing fault schedule (the admin cannot log in) fails the run.
   */
  async 'circuit-breaker'(client, recorder, settings) {
    const vus = settings.vus ?? 20
    const total = settings.seconds ?? 100
    const at = (fraction: number) => total * fraction * 1000
    const { tokens, productIds } = await journeyData(client, vus)
    const breaker = async () => {
      await Bun.sleep(at(0.3))
      await client.setFaults('payment', { mode: 'outage' })
      await Bun.sleep(at(0.6) - at(0.3))
      await client.setFaults('payment', { mode: 'healthy' })
    }
    const orderAndPay = async (vu: number) => {
      const token = tokens[vu - 1]!
      const order = await client.placeOrder(vu, token, productIds[vu % productIds.length]!)
      if (order.status === 201) {
        const payment = await client.pay(vu, token, order.body.id)
        if (payment.status === 200) recorder.add('payments_captured')
        else if (payment.status === 503) recorder.add('payments_unavailable')
        recorder.check(
          payment.status === 200 || (payment.status === 503 && payment.body?.code === 'PAYMENT_UNAVAILABLE'),
          `payment ${payment.status}`,
        )
      }
      await Bun.sleep(500)
    }
    recorder.start()
    // together: a schedule that fails rejects here, not later as an unhandled rejection
    await Promise.all([breaker(), runVus(() => vus, total, orderAndPay)])
    recorder.end()
    const captured = recorder.count('payments_captured')
    const unavailable = recorder.count('payments_unavailable')
    return [
      countThreshold(recorder, 'oversold', 0),
      { name: 'payments captured before and after', isMet: captured > 0, detail: String(captured) },
      { name: 'payments refused while broken', isMet: unavailable > 0, detail: String(unavailable) },
      errorRateThreshold(recorder, 409, 503),
    ]
  },
}
