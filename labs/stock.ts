/**
 * Lab `stock` (the guide's Phase 1, "재고 동시성"): N buyers order one unit of a product with stock S at the same
 * moment, three ways, each on a product of its own in a fresh database:
 * (a) read-then-write in application code — read the stock, check it, write `stock - 1` back. Deliberately naive,
 *     here in the lab only: between the read and the write each buyer waits for one round trip (an `await`, what a
 *     networked database or any awaited call costs), and the others read the same stock meanwhile;
 * (b) the project's order path — OrdersService.placeOrder, whose conditional `UPDATE … SET stock = stock - ?
 *     WHERE stock >= ?` decides in the database (src/modules/orders/orders.repository.ts);
 * (c) optimistic locking — read stock and version, write `WHERE version = ?`, retry on a conflict (up to 20 times).
 * The table: sold, refused, remaining, oversold (sold beyond the stock), time. The report's charts follow each
 * way as its orders complete: units sold so far, and the stock the database shows.
 */
import { appErrorIn } from '../src/errors'
import { createServices } from '../src/services'
import type { Lab, LabChart, LabResult, Language, Text } from './lab'
import { demoPrincipal, openLabApp, SHIPPING_ADDRESS } from './lab-app'

const MAX_RETRIES = 20

/** each way's row in the table, and its series in the charts */
const WAYS = {
  naive: {
    row: { en: 'read-then-write', ko: '읽고-쓰기' },
    series: { en: 'read-then-write', ko: '읽고-쓰기' },
  },
  atomic: {
    row: { en: 'conditional UPDATE (ours)', ko: '조건부 UPDATE (우리 방식)' },
    series: { en: 'conditional UPDATE (ours)', ko: '조건부 UPDATE (우리 방식)' },
  },
  optimistic: {
    row: { en: 'optimistic (version) + retries', ko: '낙관적 락 (version) + 재시도' },
    series: { en: 'optimistic + retries', ko: '낙관적 락 + 재시도' },
  },
} satisfies Record<string, { row: Text; series: Text }>
type Way = keyof typeof WAYS

type Outcome = {
  way: Way
  sold: number
  refused: number
  gaveUp: number
  remaining: number
  ms: number
  retries: number
  /** after each completed order, in completion order: units sold so far and the stock column */
  timeline: { sold: number; stock: number }[]
}
/** one buyer's order: its result and how many times it retried */
type Attempt = { result: 'sold' | 'refused' | 'gave up'; retries: number }

export const stockLab: Lab = {
  name: 'stock',
  title: { en: 'Stock under concurrent orders', ko: '동시 주문과 재고' },
  async run({ isFast }) {
    const buyers = isFast ? 200 : 1_000
    const stock = isFast ? 50 : 100
    const lab = await openLabApp()
    try {
      const { sqlite } = lab
      const services = createServices(lab.deps)
      const seller = demoPrincipal('SELLER')
      const buyer = demoPrincipal('BUYER')
      const product = async () =>
        (
          await services.products.createProduct(seller, {
            name: 'Lab item',
            price: 1_000,
            stockQuantity: stock,
            status: 'ON_SALE',
          })
        ).id
      const readStock = sqlite.query('select stock_quantity as s from products where id = ?')
      const stockOf = (id: number) => (readStock.get(id) as { s: number }).s

      const outcomes: Outcome[] = []
      const measure = async (way: Way, id: number, order: () => Promise<Attempt>) => {
        const timeline: Outcome['timeline'] = []
        let soldSoFar = 0
        const startedAt = performance.now()
        const attempts = await Promise.all(
          Array.from({ length: buyers }, async () => {
            const attempt = await order()
            if (attempt.result === 'sold') soldSoFar += 1
            timeline.push({ sold: soldSoFar, stock: stockOf(id) })
            return attempt
          }),
        )
        const ms = performance.now() - startedAt
        const count = (result: Attempt['result']) => attempts.filter((a) => a.result === result).length
        outcomes.push({
          way,
          sold: count('sold'),
          refused: count('refused'),
          gaveUp: count('gave up'),
          remaining: stockOf(id),
          ms,
          retries: attempts.reduce((sum, a) => sum + a.retries, 0),
          timeline,
        })
      }
      const once = (result: Attempt['result']): Attempt => ({ result, retries: 0 })

      // (a) read, check, write back: the naive way
      const naive = await product()
      const writeStock = sqlite.query('update products set stock_quantity = ? where id = ?')
      await measure('naive', naive, async () => {
        const s = stockOf(naive)
        if (s < 1) return once('refused')
        await Bun.sleep(0) // one round trip: the others read meanwhile
        writeStock.run(s - 1, naive)
        return once('sold')
      })

      // (b) the project's order path: the conditional UPDATE decides
      const atomic = await product()
      await measure('atomic', atomic, async () => {
        try {
          await services.orders.placeOrder(buyer, {
            orderItems: [{ productId: atomic, quantity: 1 }],
            shippingAddress: SHIPPING_ADDRESS,
          })
          return once('sold')
        } catch (error) {
          if (appErrorIn(error)?.code === 'PRODUCT_OUT_OF_STOCK') return once('refused')
          throw error
        }
      })

      // (c) optimistic: a version check, retried on conflict
      const optimistic = await product()
      const readVersioned = sqlite.query(
        'select stock_quantity as s, version as v from products where id = ?',
      )
      const writeVersioned = sqlite.query(
        'update products set stock_quantity = ?, version = version + 1 where id = ? and version = ?',
      )
      await measure('optimistic', optimistic, async () => {
        for (let retries = 0; retries <= MAX_RETRIES; retries++) {
          const { s, v } = readVersioned.get(optimistic) as { s: number; v: number }
          if (s < 1) return { result: 'refused', retries }
          await Bun.sleep(0)
          if (writeVersioned.run(s - 1, optimistic, v).changes === 1) return { result: 'sold', retries }
        }
        return { result: 'gave up', retries: MAX_RETRIES } // every attempt lost to another write
      })
      return resultOf(outcomes, buyers, stock)
    } finally {
      await lab.close()
    }
  },
}

function resultOf(outcomes: Outcome[], buyers: number, stock: number): LabResult {
  const rows = outcomes.map((o) => [
    WAYS[o.way].row,
    o.sold,
    o.refused,
    o.gaveUp,
    o.remaining,
    Math.max(0, o.sold - stock),
    o.retries,
    Math.round(o.ms),
  ])
  const [naive, atomic, optimistic] = outcomes as [Outcome, Outcome, Outcome]
  const explanation: Record<Language, string> = {
    en:
      `${buyers} buyers, stock ${stock}. Read-then-write sold ${naive.sold} units of ${stock} ` +
      `(${Math.max(0, naive.sold - stock)} oversold) and still shows ${naive.remaining} left: every buyer that read ` +
      'before another wrote saw the same stock and wrote its own "stock - 1" over the others (lost updates). The ' +
      `conditional UPDATE sold exactly ${atomic.sold}: the check and the decrement are one statement, so the ` +
      `database refuses the rest (${atomic.refused} × 409). Optimistic locking also sold ${optimistic.sold} without ` +
      `overselling, but ${optimistic.retries} retries later ${optimistic.gaveUp} buyers had given up with ` +
      `${optimistic.remaining} units unsold: on a hot product most attempts conflict, so a version check trades ` +
      'oversell for lost sales unless it retries without bound.',
    ko:
      `구매자 ${buyers}명, 재고 ${stock}개. 읽고-쓰기(read-then-write)는 ${stock}개 중 ${naive.sold}개를 팔았고 ` +
      `(${Math.max(0, naive.sold - stock)}개 초과 판매) 재고는 아직 ${naive.remaining}개로 보입니다: 다른 요청이 쓰기 전에 ` +
      '읽은 요청들은 모두 같은 재고를 보고 각자 "재고 - 1"을 덮어썼습니다(갱신 손실). 조건부 UPDATE는 정확히 ' +
      `${atomic.sold}개를 팔았습니다: 검사와 차감이 한 문장이라 나머지는 데이터베이스가 거절합니다(409 × ${atomic.refused}). ` +
      `낙관적 락도 초과 판매 없이 ${optimistic.sold}개를 팔았지만, ${optimistic.retries}번의 재시도 끝에 ${optimistic.gaveUp}명이 ` +
      `포기했고 ${optimistic.remaining}개가 팔리지 않았습니다: 인기 상품에서는 대부분의 시도가 충돌하므로, 버전 검사는 ` +
      '무한히 재시도하지 않는 한 초과 판매 대신 판매 손실을 낳습니다.',
  }
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'sold', ko: '판매' },
        { en: 'refused', ko: '거절' },
        { en: 'gave up', ko: '포기' },
        { en: 'remaining', ko: '남은 재고' },
        { en: 'oversold', ko: '초과 판매' },
        { en: 'retries', ko: '재시도' },
        { en: 'ms', ko: 'ms' },
      ],
      rows,
    },
    explanation: (language) => explanation[language],
    charts: chartsOf(outcomes, buyers, stock),
  }
}

function chartsOf(outcomes: Outcome[], buyers: number, stock: number): LabChart[] {
  const completed = { label: { en: 'orders completed', ko: '완료된 주문 수' }, values: range(buyers) }
  const per = (pick: (point: Outcome['timeline'][number]) => number) =>
    outcomes.map((o) => ({ name: WAYS[o.way].series, values: o.timeline.map(pick), steps: true }))
  return [
    {
      title: { en: 'Units sold as the orders complete', ko: '주문이 끝날 때마다 팔린 수량' },
      kind: 'line',
      x: completed,
      y: { label: { en: 'units sold', ko: '판매 수량' } },
      series: [
        ...per((point) => point.sold),
        { name: { en: 'stock at the start', ko: '처음 재고' }, values: range(buyers).map(() => stock) },
      ],
    },
    {
      title: { en: 'Stock as the database shows it', ko: '데이터베이스가 보여 주는 재고' },
      kind: 'line',
      x: completed,
      y: { label: { en: 'stock_quantity', ko: 'stock_quantity' } },
      series: per((point) => point.stock),
    },
  ]
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
