/**
 * A payment gateway simulator (SPEC §7), in memory, behind the fault injection of sim-server.ts. What a real
 * gateway guarantees and this one keeps: a payment is keyed by the client's idempotency key, so sending the same
 * capture twice charges once (the second answers the first payment); a payment can be looked up by that key (how a
 * client finds out whether a capture whose answer it lost went through); refunds are keyed too and never exceed
 * what was captured.
 *
 * - `POST /v1/payments` `{ idempotencyKey, orderId, amount }` → 201 the payment (CAPTURED), or 200 the same
 *   payment for a key already used with the same order and amount; 409 for the key with another order or amount;
 * - `GET /v1/payments/by-key/{key}` → the payment, or 404;
 * - `POST /v1/payments/{paymentId}/refunds` `{ idempotencyKey, amount }` → 201 the refund (200 when replayed),
 *   422 beyond what is left to refund, 404 for an unknown payment.
 * A `reset` fault hits after the work: the capture or refund happens, its answer is lost.
 *
 * Standalone: `bun run sim:payments` (PORT, default 7101; HOST, default 127.0.0.1).
 */
import { type SimAnswer, type SimRequest, type Simulator, startSimulator } from './sim-server'

export type GatewayPayment = {
  paymentId: string
  idempotencyKey: string
  orderId: number
  amount: number
  refundedAmount: number
  status: 'CAPTURED' | 'PARTIALLY_REFUNDED' | 'REFUNDED'
  capturedAt: string
}

type Refund = { refundId: string; paymentId: string; idempotencyKey: string; amount: number }

const KEY = /^[\x21-\x7e]{1,255}$/

export function startPaymentGateway(port = 0, hostname = '127.0.0.1'): Promise<Simulator> {
  const byKey = new Map<string, GatewayPayment>()
  const byId = new Map<string, GatewayPayment>()
  const refunds = new Map<string, Refund>()
  const counters = { captures: 0, refunds: 0 }

  const capture = (body: Record<string, unknown>): SimAnswer => {
    const { idempotencyKey, orderId, amount } = body
    if (typeof idempotencyKey !== 'string' || !KEY.test(idempotencyKey)) return invalid('idempotencyKey')
    if (!Number.isSafeInteger(orderId) || (orderId as number) < 1) return invalid('orderId')
    if (!Number.isSafeInteger(amount) || (amount as number) < 1) return invalid('amount')
    const existing = byKey.get(idempotencyKey)
    if (existing) {
      if (existing.orderId !== orderId || existing.amount !== amount)
        return { status: 409, body: { error: 'idempotencyKey already used for another payment' } }
      return { status: 200, body: existing }
    }
    const payment: GatewayPayment = {
      paymentId: `pay_${crypto.randomUUID()}`,
      idempotencyKey,
      orderId: orderId as number,
      amount: amount as number,
      refundedAmount: 0,
      status: 'CAPTURED',
      capturedAt: new Date().toISOString(),
    }
    byKey.set(idempotencyKey, payment)
    byId.set(payment.paymentId, payment)
    counters.captures++
    return { status: 201, body: payment }
  }

  const refund = (paymentId: string, body: Record<string, unknown>): SimAnswer => {
    const payment = byId.get(paymentId)
    if (!payment) return { status: 404, body: { error: 'no such payment' } }
    const { idempotencyKey, amount } = body
    if (typeof idempotencyKey !== 'string' || !KEY.test(idempotencyKey)) return invalid('idempotencyKey')
    if (!Number.isSafeInteger(amount) || (amount as number) < 1) return invalid('amount')
    const existing = refunds.get(idempotencyKey)
    if (existing) {
      if (existing.paymentId !== paymentId || existing.amount !== amount)
        return { status: 409, body: { error: 'idempotencyKey already used for another refund' } }
      return { status: 200, body: { ...existing, payment } }
    }
    if ((amount as number) > payment.amount - payment.refundedAmount)
      return { status: 422, body: { error: 'refund exceeds what is left of the payment' } }
    payment.refundedAmount += amount as number
    payment.status = payment.refundedAmount === payment.amount ? 'REFUNDED' : 'PARTIALLY_REFUNDED'
    const created = {
      refundId: `ref_${crypto.randomUUID()}`,
      paymentId,
      idempotencyKey,
      amount: amount as number,
    }
    refunds.set(idempotencyKey, created)
    counters.refunds++
    return { status: 201, body: { ...created, payment } }
  }

  const routes = (request: SimRequest): SimAnswer => {
    const { method, path } = request
    const body = (request.body ?? {}) as Record<string, unknown>
    if (method === 'POST' && path === '/v1/payments') return capture(body)
    const lookup = /^\/v1\/payments\/by-key\/([^/]+)$/.exec(path)
    if (method === 'GET' && lookup) {
      const payment = byKey.get(decodeURIComponent(lookup[1]!))
      return payment
        ? { status: 200, body: payment }
        : { status: 404, body: { error: 'no payment for this key' } }
    }
    const refundPath = /^\/v1\/payments\/([^/]+)\/refunds$/.exec(path)
    if (method === 'POST' && refundPath) return refund(decodeURIComponent(refundPath[1]!), body)
    return { status: 404, body: { error: 'no such route' } }
  }

  return startSimulator(
    {
      name: 'payment gateway',
      routes,
      counters: () => ({ ...counters }),
      isResetAfterWork: (request) => request.method === 'POST',
    },
    port,
    hostname,
  )
}

const invalid = (field: string): SimAnswer => ({ status: 400, body: { error: `invalid ${field}` } })
