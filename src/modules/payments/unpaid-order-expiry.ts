/**
 * Unpaid orders expire (SPEC §5): a PENDING order older than ORDER_PAYMENT_TIMEOUT_MINUTES is cancelled and its
 * stock comes back. Before that the gateway is asked about the order's payment (its key is derived from the order),
 * and a captured payment wins over expiry: the order is confirmed instead. A gateway that cannot answer skips the
 * order this round (never cancel what may have been paid). Safe to run on several instances at once: each
 * decision is a move guarded by the order's state (unpaidExpiry and paymentConfirmation refuse an order that is no
 * longer PENDING), so an order expires, and its stock comes back, exactly once. A payment captured after the check
 * finds its order cancelled, and is owed back in full (payments.service.ts).
 */
import { AppError } from '../../errors'
import type { ReadDb } from '../../platform/db/read-db'
import type { PaymentGatewayClient } from '../../platform/dependencies/payment-gateway-client'
import { createFailureLog, type Logger } from '../../platform/observability/logger'
import { DependencyError } from '../../platform/resilience/dependency'
import { unpaidExpiry } from '../orders/orders.moves'
import { findUnpaidBefore } from '../orders/orders.repository'
import type { OrdersService } from '../orders/orders.service'
import { gatewayKeyOf, type PaymentStore } from './payments.repository'
import { paymentConfirmation } from './payments.service'

const BATCH = 50
const POLL_MS = 30_000

export type ExpiryRound = { expired: number; confirmed: number; skipped: number }

export class UnpaidOrderExpiry {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<unknown> | undefined
  private readonly logFailure

  constructor(
    private readonly db: ReadDb,
    private readonly orders: OrdersService,
    private readonly gateway: PaymentGatewayClient,
    private readonly payments: PaymentStore,
    private readonly timeoutMs: number,
    logger: Logger,
  ) {
    this.logFailure = createFailureLog(logger, 'unpaid-order expiry round failed; retrying')
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.runOnce()
        .catch(this.logFailure)
        .finally(() => {
          this.running = undefined
        })
    }, POLL_MS)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One round over the orders unpaid for longer than the timeout at `now`. */
  async runOnce(now = Date.now()): Promise<ExpiryRound> {
    const round: ExpiryRound = { expired: 0, confirmed: 0, skipped: 0 }
    for (const order of await findUnpaidBefore(this.db, new Date(now - this.timeoutMs), BATCH)) {
      const buyer = { memberId: order.buyerId }
      let payment: Awaited<ReturnType<PaymentGatewayClient['findByKey']>>
      try {
        payment = await this.gateway.findByKey(gatewayKeyOf(order.id))
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error
        round.skipped++
        if (error.reason === 'open') break
        continue
      }
      try {
        if (payment) {
          // the intent is written before any capture; made sure of here too, so the capture is on record
          await this.payments.recordIntent(order.id, payment.amount)
          await this.orders.moveParts(
            buyer,
            order.id,
            paymentConfirmation(buyer, order.id, payment.paymentId, undefined),
          )
          round.confirmed++
        } else {
          await this.orders.moveParts(buyer, order.id, unpaidExpiry())
          round.expired++
        }
      } catch (error) {
        // moved meanwhile (paid, cancelled, or expired by another instance): nothing to do
        if (!(error instanceof AppError) || error.code !== 'INVALID_ORDER_STATUS_TRANSITION') throw error
        round.skipped++
      }
    }
    return round
  }
}
