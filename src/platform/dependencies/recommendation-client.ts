/**
 * The recommendation service's client (SPEC §7): product ids for a member, through the `recommendations`
 * Dependency (bulkhead, retries — the call is a read, so idempotent —, breaker, timeout). An answer that is not
 * the agreed shape counts as a failure of the service, like a 5xx: the caller falls back either way.
 */
import { type Dependency, DependencyError } from '../resilience/dependency'
import { requestJson } from '../resilience/http-json'

export const RECOMMENDATION_LIMIT = 10

export class RecommendationClient {
  constructor(
    private readonly baseUrl: string,
    readonly dependency: Dependency,
  ) {}

  /** The member's ranked product ids; throws DependencyError when the service gives none. */
  async productIdsFor(memberId: number, limit = RECOMMENDATION_LIMIT): Promise<number[]> {
    const url = `${this.baseUrl}/v1/recommendations?memberId=${memberId}&limit=${limit}`
    const answer = await this.dependency.call((signal) => requestJson(url, { method: 'GET' }, signal), {
      isIdempotent: true,
    })
    const ids = (answer.body as { productIds?: unknown } | undefined)?.productIds
    if (
      answer.status !== 200 ||
      !Array.isArray(ids) ||
      !ids.every((id) => Number.isSafeInteger(id) && id > 0)
    ) {
      throw new DependencyError(this.dependency.name, 'failure', {
        cause: new Error(`unexpected answer ${answer.status}`),
      })
    }
    return ids.slice(0, limit) as number[]
  }
}
