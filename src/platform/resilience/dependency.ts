/**
 * A remote dependency behind the study guide's Phase 4 policies (cockatiel), outermost first:
 * 1. **bulkhead**: at most `maxConcurrent` calls in flight and `maxQueue` waiting; the next is refused at once, so a
 *    slow dependency holds a bounded share of the process (its requests, sockets, memory), never all of it;
 * 2. **retry** (only for calls the caller marks idempotent): jittered exponential backoff, never after a refusal of
 *    the breaker or the bulkhead (retrying those only adds load where none can succeed);
 * 3. **circuit breaker** (registry: circuit-breaker.ts): a failure ratio over the last calls opens it; OPEN refuses
 *    at once without I/O; after `openMs` one probe (HALF_OPEN) decides between CLOSED and OPEN again;
 * 4. **timeout** per attempt: the attempt's AbortSignal aborts the request itself (no orphaned socket).
 *
 * A failure is what the work throws: a network error, a timeout, or an answer the work rejects (a 5xx). An answer
 * the dependency gives on purpose (a 404, a 409) must resolve: it says the dependency works. Whatever stops a call
 * reaches the caller as a `DependencyError` naming why, so a service can answer 503 (payment) or fall back
 * (recommendations) without knowing cockatiel. Every call is timed in `marketplace_dependency_call_seconds` with its
 * outcome.
 */

import { SpanKind } from '@opentelemetry/api'
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel'
import type { Histogram } from 'prom-client'
import { inSpan } from '../observability/tracing'
import type { CircuitBreakers } from './circuit-breaker'

export type DependencySettings = {
  timeoutMs: number
  /** retries after the first attempt, for idempotent calls; 0: none */
  retries: number
  retryDelayMs: { initial: number; max: number }
  bulkhead: { maxConcurrent: number; maxQueue: number }
  breaker: { failureRatio: number; window: number; minimumCalls: number; openMs: number }
}

const DEPENDENCY_SPAN = { kind: SpanKind.CLIENT }

const DEPENDENCY_OUTCOMES = ['success', 'failure', 'timeout', 'open', 'bulkhead'] as const
export type DependencyOutcome = (typeof DEPENDENCY_OUTCOMES)[number]

/** Why a call to a dependency did not produce an answer. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: string,
    readonly reason: Exclude<DependencyOutcome, 'success'>,
    options?: ErrorOptions,
  ) {
    super(`${dependency}: ${REASONS[reason]}`, options)
  }
}

const REASONS: Record<Exclude<DependencyOutcome, 'success'>, string> = {
  failure: 'the call failed',
  timeout: 'no answer in time',
  open: 'circuit breaker open: not called',
  bulkhead: 'too many calls in flight: not called',
}

type Work<T> = (signal: AbortSignal) => Promise<T>

export class Dependency {
  private readonly once: IPolicy
  private readonly withRetries: IPolicy
  private readonly limiter
  private readonly breaker: CircuitBreakerPolicy
  /** when the breaker opened plus `openMs`: cockatiel moves to HALF_OPEN only inside a call made after it */
  private openUntil = 0
  /** the histogram's children, bound once per outcome (prom-client hashes the labels on every `labels()`) */
  private readonly timers: Record<DependencyOutcome, { observe(seconds: number): void }>

  constructor(
    readonly name: string,
    private readonly settings: DependencySettings,
    breakers: CircuitBreakers,
    calls: Histogram<'dependency' | 'outcome'>,
  ) {
    this.limiter = bulkhead(settings.bulkhead.maxConcurrent, settings.bulkhead.maxQueue)
    const breaker = breakers.create(name, settings.breaker)
    this.breaker = breaker
    this.timers = Object.fromEntries(
      DEPENDENCY_OUTCOMES.map((outcome) => {
        calls.zero({ dependency: name, outcome }) // every outcome's series from the start (see metrics.ts)
        return [outcome, calls.labels(name, outcome)]
      }),
    ) as unknown as Dependency['timers']
    breaker.onBreak(() => {
      this.openUntil = Date.now() + settings.breaker.openMs
    })
    const perAttempt = timeout(settings.timeoutMs, TimeoutStrategy.Aggressive)
    const retries = retry(
      handleWhen((error) => !(error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError)),
      {
        maxAttempts: settings.retries,
        backoff: new ExponentialBackoff({
          initialDelay: settings.retryDelayMs.initial,
          maxDelay: settings.retryDelayMs.max,
        }),
      },
    )
    this.once = wrap(this.limiter, breaker, perAttempt)
    this.withRetries = wrap(this.limiter, retries, breaker, perAttempt)
  }

  /**
   * Runs `work` under the policies; `isIdempotent` allows retries. Throws DependencyError when it gets no answer.
   * Traced as one client span per call (its retries inside), when tracing is on.
   */
  call<T>(work: Work<T>, options: { isIdempotent: boolean }): Promise<T> {
    return inSpan(this.name, DEPENDENCY_SPAN, () => this.callUnderPolicies(work, options))
  }

  private async callUnderPolicies<T>(work: Work<T>, options: { isIdempotent: boolean }): Promise<T> {
    // OPEN: refused before any policy runs (the cheapest answer is the point of an open breaker); HALF_OPEN and
    // CLOSED go through the policies, where the breaker picks its probe
    if (this.breaker.state === CircuitState.Open && Date.now() < this.openUntil) {
      this.timers.open.observe(0)
      throw new DependencyError(this.name, 'open')
    }
    const policy = options.isIdempotent ? this.withRetries : this.once
    const startedAt = performance.now()
    let outcome: DependencyOutcome = 'success'
    try {
      return (await policy.execute(({ signal }) => work(signal))) as T
    } catch (error) {
      outcome = outcomeOf(error)
      throw new DependencyError(this.name, outcome, { cause: error })
    } finally {
      this.timers[outcome].observe((performance.now() - startedAt) / 1000)
    }
  }

  /** Calls in flight and waiting now (cockatiel counts the free slots). */
  load(): { inFlight: number; queued: number } {
    const { maxConcurrent, maxQueue } = this.settings.bulkhead
    return {
      inFlight: maxConcurrent - this.limiter.executionSlots,
      queued: maxQueue - this.limiter.queueSlots,
    }
  }
}

function outcomeOf(error: unknown): Exclude<DependencyOutcome, 'success'> {
  if (error instanceof BrokenCircuitError) return 'open'
  if (error instanceof BulkheadRejectedError) return 'bulkhead'
  if (error instanceof TaskCancelledError) return 'timeout'
  return 'failure'
}
