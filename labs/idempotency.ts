/**
 * Lab `idempotency` (the guide's Phase 1, "멱등성"): a buyer's order whose answer is lost (a timeout, a dropped
 * connection) is sent again, as a client or a proxy retries it. Without an Idempotency-Key each retry is a new
 * order; with one, the server stored the first answer with the order (in the same transaction) and replays it.
 * Also the double click: the same key sent several times at once — one order, the rest replayed or told the first
 * is still in progress (409 REQUEST_IN_PROGRESS), never a second order.
 */
import type { Cell, Lab, Language, Text } from './lab'
import { openLabApp, SHIPPING_ADDRESS } from './lab-app'

export const idempotencyLab: Lab = {
  name: 'idempotency',
  title: { en: 'Retried orders, with and without an Idempotency-Key', ko: '재시도된 주문: 멱등성 키 유무' },
  async run({ isFast }) {
    const retries = isFast ? 3 : 5
    const clicks = isFast ? 5 : 10
    const lab = await openLabApp({ RATE_LIMIT_ORDERS_PER_SECOND: '0' })
    try {
      const token = await lab.loginAs('BUYER')
      const order = (key?: string) =>
        lab.request('POST', '/api/v1/orders', {
          token,
          body: { orderItems: [{ productId: 4, quantity: 1 }], shippingAddress: SHIPPING_ADDRESS },
          headers: key ? { 'idempotency-key': key } : {},
        })
      const rows: Cell[][] = []
      /** sends, adds the way's row, and returns the orders it created */
      const run = async (way: Text, send: () => Promise<{ status: number; headers: Headers }[]>) => {
        const before = lab.count('orders')
        const answers = await send()
        // each answer's status, and whether it replayed the stored first answer: `3 × 201 replayed`
        const statuses = new Map<string, { status: number; isReplayed: boolean; count: number }>()
        for (const answer of answers) {
          const isReplayed = answer.headers.get('idempotent-replayed') === 'true'
          const label = `${answer.status}${isReplayed ? ' replayed' : ''}`
          const seen = statuses.get(label) ?? { status: answer.status, isReplayed, count: 0 }
          statuses.set(label, { ...seen, count: seen.count + 1 })
        }
        const summary = (replayed: string) =>
          [...statuses.values()]
            .map(({ status, isReplayed, count }) => `${count} × ${status}${isReplayed ? replayed : ''}`)
            .join(', ')
        const answered = { en: summary(' replayed'), ko: summary(' 저장된 응답') }
        const created = lab.count('orders') - before
        rows.push([way, answers.length, created, answered])
        return created
      }
      const sequentially = async (key?: string) => {
        const answers = []
        for (let i = 0; i <= retries; i++) answers.push(await order(key)) // the first answer "lost", then retried
        return answers
      }
      const noKey = await run(
        { en: 'no key, retried after a lost answer', ko: '키 없음, 응답 유실 후 재시도' },
        () => sequentially(),
      )
      const withKey = await run(
        { en: 'Idempotency-Key, retried after a lost answer', ko: 'Idempotency-Key, 응답 유실 후 재시도' },
        () => sequentially(crypto.randomUUID()),
      )
      const key = crypto.randomUUID()
      const doubleClick = await run(
        { en: 'Idempotency-Key, double click (all at once)', ko: 'Idempotency-Key, 더블 클릭 (동시에)' },
        () => Promise.all(Array.from({ length: clicks }, () => order(key))),
      )
      const explanation: Record<Language, string> = {
        en:
          `The same order sent ${retries + 1} times: without a key the server cannot tell a retry from a new order ` +
          `and created ${noKey}; with an Idempotency-Key it created ${withKey} and answered every retry with ` +
          `the stored first answer (Idempotent-Replayed: true). ${clicks} clicks at once with one key created ` +
          `${doubleClick}: the key is claimed in the order's own transaction, so a second order cannot commit.`,
        ko:
          `같은 주문을 ${retries + 1}번 보냈습니다: 키가 없으면 서버는 재시도와 새 주문을 구별할 수 없어 ${noKey}건을 ` +
          `만들었고, Idempotency-Key가 있으면 ${withKey}건만 만들고 모든 재시도에 저장된 첫 응답을 돌려주었습니다 ` +
          `(Idempotent-Replayed: true). 같은 키로 동시에 ${clicks}번 클릭해도 ${doubleClick}건: 키는 주문과 같은 ` +
          '트랜잭션에서 선점되므로 두 번째 주문은 커밋될 수 없습니다.',
      }
      return {
        table: {
          columns: [
            { en: 'way', ko: '방식' },
            { en: 'requests', ko: '요청' },
            { en: 'orders created', ko: '생성된 주문' },
            { en: 'answers', ko: '응답' },
          ],
          rows,
        },
        explanation: (language) => explanation[language],
      }
    } finally {
      await lab.close()
    }
  },
}
