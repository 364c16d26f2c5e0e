/**
 * Lab `breaker` (the guide's Phase 4, "Circuit Breaker", and its exercise 5: make a dependency fail on purpose,
 * watch OPEN, then HALF_OPEN and CLOSED): a steady stream of real orders paid through
 * `POST /api/v1/orders/{id}/payment` while the payment gateway simulator (a real HTTP server on a free port,
 * answering in 30 ms, in this process) fails 60 % of its calls with a 503, set through its own `setFaults` (what
 * its fault injection API runs); part-way through it heals. Twice, each on a fresh app and a fresh gateway:
 * (a) the project's way: the payment Dependency as configured (src/platform/resilience/dependency.ts: the breaker
 *     opens when 50 % of the last 20 calls failed, 10 at least; OPEN refuses without calling for `openMs`);
 * (b) without the breaker — deliberately naive, and in config only, since the config has no off switch: the same
 *     client, retries, bulkhead and timeout, the breaker's window and minimum raised to 10,000 calls, which a run
 *     never reaches, so it cannot open.
 * Measured: the calls that reached the gateway (its own counter), the answers by kind (paid; 503 after trying;
 * 503 refused by the OPEN breaker), each payment's time, and every SAMPLE_MS the breaker's state and the gateway's
 * calls. The table, the charts and the explanation are built in labs/breaker-result.ts.
 */
import type { Faults } from '../src/simulators/faults'
import { startPaymentGateway } from '../src/simulators/payment-gateway'
import type { Simulator } from '../src/simulators/sim-server'
import {
  type BreakerRun,
  type BreakerShape,
  type BreakerState,
  explainBreakerRuns,
  type Kind,
  type Sample,
} from './breaker-result'
import type { Lab, Text } from './lab'
import { type LabAnswer, type LabApp, openLabApp, SHIPPING_ADDRESS } from './lab-app'
import { counterSum } from './measure'

const BREAKER = 'payment-gateway'
const FAILURE_RATE = 0.6
const GATEWAY_LATENCY_MS = 30
/** how often the breaker's state and the gateway's counter are read (a HALF_OPEN probe lasts ≥ 30 ms) */
const SAMPLE_MS = 10

const FULL: BreakerShape = { durationMs: 10_000, healAtMs: 6_000, paymentEveryMs: 20, openMs: 1_000 }
const FAST: BreakerShape = { durationMs: 4_000, healAtMs: 2_400, paymentEveryMs: 20, openMs: 500 }

export const breakerLab: Lab = {
  name: 'breaker',
  title: {
    en: 'A failing payment gateway, with and without the circuit breaker',
    ko: '실패하는 결제 게이트웨이: 서킷 브레이커 유무',
  },
  async run({ isFast }) {
    const shape = isFast ? FAST : FULL
    const ours = await payThroughFailingGateway(
      { en: 'circuit breaker (ours)', ko: '서킷 브레이커 (우리 방식)' },
      shape,
      {},
    )
    const naive = await payThroughFailingGateway(
      { en: 'no breaker (naive: never opens)', ko: '브레이커 없음 (단순한 방식: 열리지 않음)' },
      shape,
      {
        PAYMENT_BREAKER_WINDOW: '10000',
        PAYMENT_BREAKER_MINIMUM_CALLS: '10000',
      },
    )
    return explainBreakerRuns({
      ours,
      naive,
      shape,
      failureRate: FAILURE_RATE,
      gatewayLatencyMs: GATEWAY_LATENCY_MS,
    })
  },
}

/** One run: a fresh gateway and app, orders made first, then paid one every `paymentEveryMs` while it fails. */
async function payThroughFailingGateway(
  way: Text,
  shape: BreakerShape,
  env: Record<string, string>,
): Promise<BreakerRun> {
  const gateway = await startPaymentGateway()
  try {
    const lab = await openLabApp({
      PAYMENT_URL: gateway.url,
      PAYMENT_BREAKER_OPEN_MS: String(shape.openMs),
      RATE_LIMIT_ORDERS_PER_SECOND: '0',
      RATE_LIMIT_IP_PER_SECOND: '0',
      ...env,
    })
    try {
      const payments = Math.floor(shape.durationMs / shape.paymentEveryMs)
      const token = await lab.loginAs('BUYER')
      const orderIds = await placeOrders(lab, await lab.loginAs('SELLER'), token, payments)

      setFaults(gateway, {
        mode: 'error',
        failureRate: FAILURE_RATE,
        latencyMs: GATEWAY_LATENCY_MS,
      })
      const startedAt = performance.now()
      const samples: Sample[] = []
      const sample = () =>
        samples.push({
          atMs: performance.now() - startedAt,
          state: lab.deps.breakers.states()[BREAKER] ?? 'CLOSED',
          calls: gateway.stats().requests,
        })
      sample()
      const sampler = setInterval(sample, SAMPLE_MS)
      const pay = async (orderId: number) => {
        const sentAt = performance.now()
        const answer = await lab.request('POST', `/api/v1/orders/${orderId}/payment`, { token })
        return { kind: kindOf(answer), ms: performance.now() - sentAt, sentAtMs: sentAt - startedAt }
      }
      // an open-loop stream, as customers arrive: the next payment is sent on time whatever the last one does
      const answers: Promise<BreakerRun['answers'][number]>[] = []
      let settled: BreakerRun['answers']
      let isHealed = false
      try {
        for (const [i, orderId] of orderIds.entries()) {
          const dueAt = startedAt + i * shape.paymentEveryMs
          if (performance.now() < dueAt) await Bun.sleep(dueAt - performance.now())
          if (!isHealed && performance.now() - startedAt >= shape.healAtMs) {
            isHealed = true
            setFaults(gateway, { mode: 'healthy', latencyMs: GATEWAY_LATENCY_MS })
          }
          answers.push(pay(orderId))
        }
        settled = await Promise.all(answers)
      } finally {
        clearInterval(sampler)
      }
      sample()
      const stats = gateway.stats()
      return {
        way,
        answers: settled,
        gatewayCalls: stats.requests,
        captures: stats.counters.captures ?? 0,
        transitions: await transitionsOf(lab),
        samples,
      }
    } finally {
      await lab.close()
    }
  } finally {
    await gateway.close()
  }
}

/** `count` PENDING orders of the buyer, for one unit each of a product made for the run with stock to spare. */
async function placeOrders(
  { request }: LabApp,
  sellerToken: string,
  buyerToken: string,
  count: number,
): Promise<number[]> {
  const product = await request('POST', '/api/v1/products', {
    token: sellerToken,
    body: { name: 'Breaker lab item', price: 1_000, stockQuantity: 1_000_000, status: 'ON_SALE' },
  })
  if (product.status !== 201) throw new Error(`product: ${product.status} ${JSON.stringify(product.body)}`)
  const ids: number[] = []
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, () =>
        request('POST', '/api/v1/orders', {
          token: buyerToken,
          body: {
            orderItems: [{ productId: product.body.id, quantity: 1 }],
            shippingAddress: SHIPPING_ADDRESS,
          },
        }),
      ),
    )
    for (const order of batch) {
      if (order.status !== 201) throw new Error(`order: ${order.status} ${JSON.stringify(order.body)}`)
      ids.push(order.body.id)
    }
  }
  return ids
}

/**
 * 200: paid. 503 PAYMENT_UNAVAILABLE says why the gateway gave no answer (src/modules/payments/payments.service.ts):
 * `open` — refused by the breaker (at once, or at a retry once it opened); `bulkhead` — refused at once, too many in flight; else it was tried.
 */
function kindOf(answer: LabAnswer): Kind {
  if (answer.status === 200) return 'paid'
  if (answer.status === 503 && answer.body?.code === 'PAYMENT_UNAVAILABLE') {
    const reason = /\((\w+)\)/.exec(String(answer.body.detail))?.[1]
    return reason === 'open' ? 'refused' : reason === 'bulkhead' ? 'busy' : 'failed'
  }
  throw new Error(`unexpected payment answer: ${answer.status} ${JSON.stringify(answer.body)}`)
}

/** Merges `faults` into the gateway's, as its PUT /__control/faults does; throws when they are refused. */
function setFaults(gateway: Simulator, faults: Partial<Faults>): void {
  const next = gateway.setFaults(faults)
  if (typeof next === 'string') throw new Error(`faults ${JSON.stringify(faults)}: ${next}`)
}

/** The breaker's state changes, from the app's own metric (marketplace_circuit_breaker_transitions_total). */
async function transitionsOf({ deps }: LabApp): Promise<Record<BreakerState, number>> {
  const entered = (to: BreakerState) =>
    counterSum(deps.metrics.circuitBreakerTransitions, { breaker: BREAKER, to })
  return {
    CLOSED: await entered('CLOSED'),
    HALF_OPEN: await entered('HALF_OPEN'),
    OPEN: await entered('OPEN'),
  }
}
