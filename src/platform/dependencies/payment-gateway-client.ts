/**
 * The payment gateway's client (SPEC §7), through the `payment-gateway` Dependency. A capture carries an
 * idempotency key the gateway honours (one charge per key), so it is safe to retry: the Dependency may send it again
 * after a timeout or a lost answer, and a second capture with the key answers the first payment. A lookup by key
 * tells whether a capture whose answer was lost went through.
 */
import { type Dependency, DependencyError } from '../resilience/dependency'
import { requestJson } from '../resilience/http-json'

export type GatewayPayment = { paymentId: string; orderId: number; amount: number; status: string }

export class PaymentGatewayClient {
  constructor(
    private readonly baseUrl: string,
    readonly dependency: Dependency,
  ) {}

  /** Captures `amount` for the order under `key`; the same key again answers the same payment. */
  async capture(key: string, orderId: number, amount: number): Promise<GatewayPayment> {
    const answer = await this.dependency.call(
      (signal) =>
        requestJson(
          `${this.baseUrl}/v1/payments`,
          { method: 'POST', body: { idempotencyKey: key, orderId, amount } },
          signal,
        ),
      { isIdempotent: true },
    )
    if (answer.status !== 200 && answer.status !== 201) throw this.unexpected(answer.status)
    return this.paymentOf(answer.body)
  }

  /** The payment captured under `key`, or undefined when the gateway has none. */
  async findByKey(key: string): Promise<GatewayPayment | undefined> {
    const answer = await this.dependency.call(
      (signal) =>
        requestJson(
          `${this.baseUrl}/v1/payments/by-key/${encodeURIComponent(key)}`,
          { method: 'GET' },
          signal,
        ),
      { isIdempotent: true },
    )
    if (answer.status === 404) return undefined
    if (answer.status !== 200) throw this.unexpected(answer.status)
    return this.paymentOf(answer.body)
  }

  /**
   * Refunds `amount` of the payment under `key` (the same key again answers the same refund). Resolves with the
   * gateway's refund id, or `{ refused }` when the gateway refuses it for good (more than what is left: a 422).
   */
  async refund(
    paymentId: string,
    key: string,
    amount: number,
  ): Promise<{ refundId: string } | { refused: string }> {
    const answer = await this.dependency.call(
      (signal) =>
        requestJson(
          `${this.baseUrl}/v1/payments/${encodeURIComponent(paymentId)}/refunds`,
          { method: 'POST', body: { idempotencyKey: key, amount } },
          signal,
        ),
      { isIdempotent: true },
    )
    if (answer.status === 422 || answer.status === 404 || answer.status === 409) {
      return { refused: `gateway answered ${answer.status}` }
    }
    const refundId = (answer.body as { refundId?: unknown } | undefined)?.refundId
    if ((answer.status !== 200 && answer.status !== 201) || typeof refundId !== 'string') {
      throw this.unexpected(answer.status)
    }
    return { refundId }
  }

  private paymentOf(body: unknown): GatewayPayment {
    const payment = body as Partial<GatewayPayment> | undefined
    if (typeof payment?.paymentId !== 'string' || !Number.isSafeInteger(payment.amount)) {
      throw this.unexpected('a malformed payment')
    }
    return payment as GatewayPayment
  }

  /** An answer the client cannot use: to the caller it is the gateway failing. */
  private unexpected(what: number | string): DependencyError {
    return new DependencyError(this.dependency.name, 'failure', {
      cause: new Error(`payment gateway answered ${what}`),
    })
  }
}
