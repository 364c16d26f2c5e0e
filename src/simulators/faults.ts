/**
 * Fault injection for the simulated dependencies (SPEC §7; the study guide's exercise 5: break a dependency on
 * purpose and watch the breaker go OPEN, HALF_OPEN and CLOSED). One settings object per simulator, changed at
 * runtime through its control API (sim-server.ts) or `POST /api/v1/admin/faults`, which forwards there:
 *
 * - `latencyMs`: every request waits this long before anything else happens (any mode);
 * - `mode` with `failureRate` (0..1; setting a failing mode without a rate means every request):
 *   `error` answers 503, `timeout` never answers (the caller's timeout must fire), `reset` drops the connection,
 *   `slow` sends the headers at once and dribbles the body over `max(latencyMs, 2 s)`;
 * - `outage`: every request's connection is dropped (a host that is gone), whatever the rate;
 * - `healthy`: back to normal (no latency unless one is given with it).
 */
export const FAULT_MODES = ['healthy', 'error', 'timeout', 'reset', 'slow', 'outage'] as const
export type FaultMode = (typeof FAULT_MODES)[number]

export type Faults = { mode: FaultMode; failureRate: number; latencyMs: number }

export const HEALTHY: Faults = { mode: 'healthy', failureRate: 0, latencyMs: 0 }
const MAX_LATENCY_MS = 120_000

/** What happens to one request (`outage`: its connection dropped before anything is done). */
export type Fate = 'ok' | 'error' | 'timeout' | 'reset' | 'slow' | 'outage'

export function fateOf(faults: Faults, random: () => number = Math.random): Fate {
  if (faults.mode === 'outage') return 'outage'
  if (faults.mode === 'healthy') return 'ok'
  return random() < faults.failureRate ? faults.mode : 'ok'
}

/** The settings after a control request `{ mode?, failureRate?, latencyMs? }`, or why it is refused. */
export function nextFaults(current: Faults, body: unknown): Faults | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'expected a JSON object'
  const { mode, failureRate, latencyMs, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) return `unknown member(s): ${unknown.join(', ')}`
  if (mode !== undefined && !FAULT_MODES.includes(mode as FaultMode))
    return `mode must be one of ${FAULT_MODES.join(', ')}`
  if (
    failureRate !== undefined &&
    (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate <= 1))
  )
    return 'failureRate must be a number from 0 to 1'
  if (
    latencyMs !== undefined &&
    (typeof latencyMs !== 'number' ||
      !Number.isInteger(latencyMs) ||
      latencyMs < 0 ||
      latencyMs > MAX_LATENCY_MS)
  )
    return `latencyMs must be an integer from 0 to ${MAX_LATENCY_MS}`
  const nextMode = (mode as FaultMode | undefined) ?? current.mode
  if (nextMode === 'healthy' && mode !== undefined)
    return { ...HEALTHY, latencyMs: (latencyMs as number | undefined) ?? 0 }
  const isNewFailingMode = mode !== undefined && mode !== current.mode
  return {
    mode: nextMode,
    failureRate: (failureRate as number | undefined) ?? (isNewFailingMode ? 1 : current.failureRate),
    latencyMs: (latencyMs as number | undefined) ?? current.latencyMs,
  }
}
