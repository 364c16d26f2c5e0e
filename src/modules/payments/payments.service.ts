/**
 * Paying an order (SPEC §4, §5, §7): PENDING → CONFIRMED only through a captured payment.
 *
 * 1. The buyer's own PENDING order (anyone else's: 404). With an Idempotency-Key, the key is claimed first.
 * 2. The intent is written and committed (a PENDING payment for the live parts' total) before the gateway is
 *    called, and the call is made outside any transaction: no lock is held across the network.
 * 3. The gateway capture carries a key derived from the order, so every attempt for the order — the Dependency's
 *    own retries after a timeout or a lost answer, a client's retry, a concurrent duplicate, a retry after a
 *    restart — is one charge.
 * 4. The capture is recorded with the order's confirmation in one transaction (local) or batch (libSQL): the
 *    payment CAPTURED, every live part PENDING → CONFIRMED with its `order.status-changed` event, the key's answer.
 * The gateway failing, timing out, its breaker OPEN or its bulkhead full: 503 `PAYMENT_UNAVAILABLE` with
 * Retry-After, the order still PENDING, the key given back. An order already paid answers its current state
 * (payment is idempotent per order); an order cancelled while it was being paid keeps the capture on record and
 * owes it back in full (the refund worker pays it) and answers 409.
 */
import { AppError } from '../../errors'
import type { Claim, IdempotentRequest } from '../../platform/db/idempotency'
import type { PaymentGatewayClient } from '../../platform/dependencies/payment-gateway-client'
import type { Logger } from '../../platform/observability/logger'
import type { PaymentCounter } from '../../platform/observability/metrics'
import { DependencyError } from '../../platform/resilience/dependency'
import type { Principal } from '../auth/principal'
import type { Order } from '../orders/orders.model'
import { type MovePlan, notFound } from '../orders/orders.moves'
import { isLive } from '../orders/orders.rules'
import type { OrdersService } from '../orders/orders.service'
import { toOrder } from '../orders/orders.views'
import { captureRecorded, type PaymentStore } from './payments.repository'

export class PaymentsService {
  constructor(
    private readonly store: PaymentStore,
    private readonly orders: OrdersService,
    private readonly gateway: PaymentGatewayClient,
    private readonly payments: PaymentCounter,
    private readonly logger: Logger,
  ) {}

  async pay(
    buyer: Principal,
    orderId: number,
    idempotency?: IdempotentRequest,
  ): Promise<{ order: Order; isReplay: boolean }> {
    const order = await this.orders.getOrder(buyer, orderId)
    if (order.buyerId !== buyer.memberId) throw notFound(orderId)
    const claim = idempotency && { memberId: buyer.memberId, ...idempotency }
    const replay = claim && (await this.store.claimKey(claim))
    if (replay) {
      this.payments.labels('replayed').inc()
      return { order: replay.body as Order, isReplay: true }
    }
    try {
      return { order: await this.payOnce(buyer, order, claim), isReplay: false }
    } catch (error) {
      if (claim) await this.store.releaseKey(claim)
      throw error
    }
  }

  private async payOnce(buyer: Principal, order: Order, claim: Claim | undefined): Promise<Order> {
    if (order.status !== 'PENDING') return this.alreadySettled(order)
    const live = order.parts.filter((part) => part.status !== 'CANCELLED')
    const amount = live.reduce((sum, part) => sum + part.subtotal, 0)
    const payment = await this.store.recordIntent(order.id, amount)
    let gatewayPaymentId: string
    try {
      gatewayPaymentId = (await this.gateway.capture(payment.gatewayKey, order.id, payment.amount)).paymentId
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error
      this.payments.labels('unavailable').inc()
      throw new AppError(
        'PAYMENT_UNAVAILABLE',
        `The payment gateway could not take the payment (${error.reason}); try again`,
        {
          headers: { 'retry-after': '5' },
        },
      )
    }
    try {
      const confirmed = await this.orders.moveParts(
        buyer,
        order.id,
        paymentConfirmation(buyer, order.id, gatewayPaymentId, claim),
      )
      this.payments.labels('captured').inc()
      return confirmed
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'INVALID_ORDER_STATUS_TRANSITION') throw error
      // not PENDING any more: a concurrent payment confirmed it first, or it was cancelled meanwhile
      const now = await this.orders.getOrder(buyer, order.id)
      if (now.status !== 'CANCELLED') return this.alreadySettled(now)
      await this.store.recordCaptureOfCancelled(order.id, gatewayPaymentId, payment.amount)
      this.payments.labels('order_cancelled').inc()
      this.logger.warn(
        { orderId: order.id },
        'payment captured for an order cancelled meanwhile: refund owed',
      )
      throw new AppError(
        'INVALID_ORDER_STATUS_TRANSITION',
        'The order was cancelled while it was paid; the payment will be refunded',
      )
    }
  }

  /** Not PENDING: paid already (its current state, 200), or not payable (409). */
  private async alreadySettled(order: Order): Promise<Order> {
    const payment = await this.store.find(order.id)
    if (payment?.status === 'CAPTURED' && order.status !== 'CANCELLED') {
      this.payments.labels('already_paid').inc()
      return order
    }
    throw new AppError('INVALID_ORDER_STATUS_TRANSITION', `An order that is ${order.status} cannot be paid`)
  }
}

/** The confirmation a capture makes: every live part PENDING → CONFIRMED, the capture recorded with it. */
export function paymentConfirmation(
  buyer: Pick<Principal, 'memberId'>,
  orderId: number,
  gatewayPaymentId: string,
  claim: Claim | undefined,
): MovePlan {
  return {
    to: 'CONFIRMED',
    pick: (order, parts) => {
      if (order.buyerId !== buyer.memberId) throw notFound(orderId)
      const live = parts.filter(isLive)
      const stuck = live.find((part) => part.status !== 'PENDING')
      if (live.length === 0 || stuck) {
        throw new AppError('INVALID_ORDER_STATUS_TRANSITION', 'The order is not PENDING any more')
      }
      return live
    },
    view: toOrder,
    andAlso: captureRecorded(orderId, gatewayPaymentId, claim),
  }
}
