/**
 * Live fault injection for admins (SPEC §4, §7; the guide's exercise 5): a change is forwarded to the simulator's
 * control API (src/simulators/sim-server.ts), so it reaches every instance that uses that simulator. A dependency
 * whose control API does not answer — unreachable, or a real service that has none — is a 503.
 */

import { AppError } from '../../errors'
import type { DependencyKey } from '../../platform/dependencies/remote-dependencies'
import type { FaultRequest, FaultSettings } from './faults.model'

const CONTROL_TIMEOUT_MS = 2_000

export class FaultsService {
  constructor(private readonly urls: Readonly<Record<DependencyKey, string>>) {}

  async change(request: FaultRequest): Promise<FaultSettings> {
    const { dependency, ...change } = request
    let response: Response
    try {
      response = await fetch(`${this.urls[dependency]}/__control/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(change),
        signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
      })
    } catch {
      throw new AppError('SERVICE_UNAVAILABLE', `The ${dependency} simulator's control API did not answer`)
    }
    const body = (await response.json().catch(() => undefined)) as
      | Omit<FaultSettings, 'dependency'>
      | undefined
    if (response.status === 400) {
      const reason = (body as { error?: string } | undefined)?.error ?? 'refused'
      throw new AppError('VALIDATION_FAILED', `The ${dependency} simulator refused the change: ${reason}`)
    }
    if (!response.ok || !body) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        `The ${dependency} dependency has no fault control (not a simulator?)`,
      )
    }
    return { dependency, mode: body.mode, failureRate: body.failureRate, latencyMs: body.latencyMs }
  }
}
