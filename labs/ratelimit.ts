/**
 * Lab `ratelimit` (the guide's Phase 4, "Rate Limiting"; its "20 orders in a second" exercise): one buyer sends
 * 20 orders within a second against the default per-member limit (RATE_LIMIT_ORDERS_PER_SECOND=10); then 20
 * buyers send one each. Prints the answers and the headers a client paces itself by: `RateLimit-Policy`,
 * `RateLimit` on admitted orders, and `Retry-After` on refused ones. (The guide's loop posts `'...'`, which is not
 * JSON: every request is a 400 before any limit is asked. The command that works is printed with the result.)
 */
import type { Cell, Lab, Language } from './lab'
import { type LabAnswer, openLabApp, SHIPPING_ADDRESS } from './lab-app'

const LIMIT = 10

export const ratelimitLab: Lab = {
  name: 'ratelimit',
  title: { en: '20 orders in a second: the per-member limit', ko: '1초에 주문 20건: 회원별 요청 제한' },
  async run() {
    const lab = await openLabApp({
      RATE_LIMIT_ORDERS_PER_SECOND: String(LIMIT),
      RATE_LIMIT_WINDOW_MS: '1000',
    })
    try {
      const order = (token: string) =>
        lab.request('POST', '/api/v1/orders', {
          token,
          body: { orderItems: [{ productId: 4, quantity: 1 }], shippingAddress: SHIPPING_ADDRESS },
        })
      const buyer = await lab.loginAs('BUYER')
      // the window is fixed and aligned to the clock: start right after a boundary, so all 20 fall in one window
      await Bun.sleep(1_000 - (Date.now() % 1_000) + 5)
      const oneBuyer: LabAnswer[] = []
      for (let i = 0; i < 20; i++) oneBuyer.push(await order(buyer))
      const count = (answers: LabAnswer[], status: number) =>
        answers.filter((a) => a.status === status).length
      const admitted = oneBuyer.find((a) => a.status === 201)
      const refused = oneBuyer.find((a) => a.status === 429)
      const header = (answer: LabAnswer | undefined, name: string) => answer?.headers.get(name) ?? '-'
      const rows: Cell[][] = [
        [
          { en: 'one buyer, 20 orders in a second', ko: '구매자 한 명, 1초에 주문 20건' },
          count(oneBuyer, 201),
          count(oneBuyer, 429),
          header(admitted, 'ratelimit-policy'),
          `${header(admitted, 'ratelimit')} → ${header(refused, 'ratelimit')}`,
          header(refused, 'retry-after'),
        ],
      ]
      // another member's allowance is its own: the limit is per member, not per server
      const member = {
        email: 'second-buyer@example.com',
        password: 'second-buyer-1',
        name: 'Second',
        role: 'BUYER',
      }
      const signup = await lab.request('POST', '/api/v1/auth/signup', { body: member })
      if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`)
      const other = await lab.login(member.email, member.password)
      const otherAnswer = await order(other)
      rows.push([
        { en: 'another member, meanwhile', ko: '그동안 다른 회원' },
        otherAnswer.status === 201 ? 1 : 0,
        otherAnswer.status === 429 ? 1 : 0,
        header(otherAnswer, 'ratelimit-policy'),
        header(otherAnswer, 'ratelimit'),
        '-',
      ])
      const explanation: Record<Language, string> = {
        en:
          `Of 20 orders in one second, ${count(oneBuyer, 201)} were placed and ${count(oneBuyer, 429)} refused with ` +
          `429 RATE_LIMITED: the limit is ${LIMIT} per member per second, counted after authentication and ` +
          'validation (a malformed order is a 400 and spends nothing). Admitted answers say how much is left ' +
          '(RateLimit: remaining), refused ones when to come back (Retry-After, seconds). Another member ordering ' +
          'meanwhile is not affected. With REDIS_URL the count is shared by every instance. Try it: ' +
          "for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\\n' -X POST localhost:8080/api/v1/orders " +
          '-H "authorization: Bearer $BUYER" -H \'content-type: application/json\' -d "$ORDER"; done',
        ko:
          `1초 동안 보낸 주문 20건 중 ${count(oneBuyer, 201)}건이 접수되고 ${count(oneBuyer, 429)}건이 429 RATE_LIMITED로 ` +
          `거절되었습니다: 제한은 회원당 초당 ${LIMIT}건이며, 인증과 검증 뒤에 셉니다(형식이 잘못된 주문은 400이고 한도를 쓰지 ` +
          '않습니다). 접수된 응답은 남은 양(RateLimit: remaining)을, 거절된 응답은 다시 올 시점(Retry-After, 초)을 알려 줍니다. ' +
          '그동안 다른 회원의 주문은 영향을 받지 않습니다. REDIS_URL이 있으면 모든 인스턴스가 같은 카운트를 씁니다. ' +
          "가이드의 반복문은 본문 '...'이 JSON이 아니어서 모두 400이 됩니다. 실제 주문 본문으로: " +
          "for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\\n' -X POST localhost:8080/api/v1/orders " +
          '-H "authorization: Bearer $BUYER" -H \'content-type: application/json\' -d "$ORDER"; done',
      }
      return {
        table: {
          columns: [
            { en: 'who', ko: '누가' },
            { en: '201', ko: '201' },
            { en: '429', ko: '429' },
            { en: 'RateLimit-Policy', ko: 'RateLimit-Policy' },
            { en: 'RateLimit', ko: 'RateLimit' },
            { en: 'Retry-After', ko: 'Retry-After' },
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
