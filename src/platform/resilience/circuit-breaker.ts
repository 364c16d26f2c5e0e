/**
 * Circuit breakers (cockatiel) with one registry, so health and metrics show every breaker's state (SPEC §7).
 * Two ways to decide it is time to open: `failureThreshold` failures in a row (Redis: a hung server fails every
 * command), or a failure ratio over the last `window` calls once at least `minimumCalls` were made (the HTTP
 * dependencies, where a few failures among many successes are noise). Mechanism: at the threshold it OPENs and refuses calls
 * at once (BrokenCircuitError, no I/O) for `openMs`; then it is HALF_OPEN and lets one call through as a probe:
 * success closes it, failure opens it again. Callers treat a refusal like any failure of the dependency, so a dead
 * dependency costs nothing per request and recovery needs no restart. A failure is a rejection of the guarded
 * function (any error), a success is its resolving: a client that resolves with errors inside (ioredis's
 * `exec()`) must be made to reject first, or it counts as a success and resets the run (redis.ts, `runBatch`).
 */
import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel'
import type { Counter, Gauge } from 'prom-client'
import type { Logger } from '../observability/logger'

export type BreakerSettings =
  | { failureThreshold: number; openMs: number }
  | { failureRatio: number; window: number; minimumCalls: number; openMs: number }
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN'

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'CLOSED',
  [CircuitState.Open]: 'OPEN',
  [CircuitState.HalfOpen]: 'HALF_OPEN',
  [CircuitState.Isolated]: 'OPEN',
}

/** The gauge's value per state: 0 closed, 1 open, 2 half-open (as resilience4j exports it). */
const STATE_VALUES: Record<BreakerState, number> = { CLOSED: 0, OPEN: 1, HALF_OPEN: 2 }

export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>()

  constructor(
    private readonly stateGauge: Gauge<'breaker'>,
    private readonly logger: Logger,
    private readonly transitions?: Counter<'breaker' | 'to'>,
  ) {}

  create(name: string, settings: BreakerSettings): CircuitBreakerPolicy {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: settings.openMs,
      breaker:
        'failureThreshold' in settings
          ? new ConsecutiveBreaker(settings.failureThreshold)
          : new CountBreaker({
              threshold: settings.failureRatio,
              size: settings.window,
              minimumNumberOfCalls: settings.minimumCalls,
            }),
    })
    const gauge = this.stateGauge.labels(name)
    gauge.set(STATE_VALUES.CLOSED)
    // at 0 from the start, so the first opening is an increase `rate()` can see
    for (const state of Object.keys(STATE_VALUES)) this.transitions?.inc({ breaker: name, to: state }, 0)
    breaker.onStateChange((state) => {
      const shown = STATE_NAMES[state]
      gauge.set(STATE_VALUES[shown])
      this.transitions?.labels(name, shown).inc()
      const log = shown === 'OPEN' ? this.logger.warn : this.logger.info
      log.call(this.logger, { breaker: name, state: shown }, 'circuit breaker state changed')
    })
    this.breakers.set(name, breaker)
    return breaker
  }

  /** Every breaker's state by name, for the health endpoint. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([name, b]) => [name, STATE_NAMES[b.state]]))
  }

  get isEmpty(): boolean {
    return this.breakers.size === 0
  }
}
