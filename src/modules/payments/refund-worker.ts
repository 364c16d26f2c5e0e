/**
 * Pays out the refunds owed (refunds.repository.ts), however long the gateway is away: every `pollMs` it sends the
 * due ones, oldest first, each under its own gateway key (a resend after a crash, or by another instance, refunds
 * once). An outcome per refund: DONE; FAILED when the gateway refuses it for good (logged, counted, for an
 * operator); otherwise tried again after a doubling delay (at most 5 minutes). An OPEN breaker ends the round
 * early: nothing can get through until it probes again. Refunds live in the database, so a SIGKILL between a
 * cancel and its refund loses nothing: the next start sends it.
 */
import type { PaymentGatewayClient } from '../../platform/dependencies/payment-gateway-client'
import { createFailureLog, type Logger } from '../../platform/observability/logger'
import type { PaymentCounter } from '../../platform/observability/metrics'
import { DependencyError } from '../../platform/resilience/dependency'
import type { RefundStore } from './refunds.repository'

const MAX_DELAY_MS = 5 * 60_000
export type RefundWorkerSettings = { pollMs: number; batchSize: number; retryBaseMs: number }
export const REFUND_WORKER_DEFAULTS: RefundWorkerSettings = {
  pollMs: 1_000,
  batchSize: 20,
  retryBaseMs: 1_000,
}

export class RefundWorker {
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<unknown> | undefined
  private isStopped = true
  /** a round that cannot run (the database away): a warning per 10 s, the next round tries again */
  private readonly logRoundFailure

  constructor(
    private readonly store: RefundStore,
    private readonly gateway: PaymentGatewayClient,
    private readonly payments: PaymentCounter,
    private readonly logger: Logger,
    private readonly settings: RefundWorkerSettings = REFUND_WORKER_DEFAULTS,
  ) {
    this.logRoundFailure = createFailureLog(logger, 'refund round failed; retrying')
  }

  start(): void {
    if (!this.isStopped) return
    this.isStopped = false
    this.schedule(0)
  }

  async stop(): Promise<void> {
    this.isStopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** One round over the due refunds; what became of them. */
  async runOnce(now = Date.now()): Promise<{ done: number; failed: number; later: number }> {
    const outcome = { done: 0, failed: 0, later: 0 }
    for (const refund of await this.store.due(now, this.settings.batchSize)) {
      try {
        const answer = await this.gateway.refund(refund.gatewayPaymentId, refund.gatewayKey, refund.amount)
        if ('refused' in answer) {
          await this.store.failed(refund.id, answer.refused)
          this.payments.labels('refund_failed').inc()
          this.logger.error({ refundId: refund.id, reason: answer.refused }, 'refund refused by the gateway')
          outcome.failed++
        } else {
          await this.store.done(refund.id, answer.refundId)
          this.payments.labels('refunded').inc()
          outcome.done++
        }
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error
        const delay = Math.min(this.settings.retryBaseMs * 2 ** refund.attempts, MAX_DELAY_MS)
        await this.store.retryLater(refund.id, error.message, now + delay)
        outcome.later++
        if (error.reason === 'open') break
      }
    }
    return outcome
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch(this.logRoundFailure)
        .finally(() => {
          if (!this.isStopped) this.schedule(this.settings.pollMs)
        })
    }, delayMs)
  }
}
