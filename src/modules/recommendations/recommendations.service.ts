/**
 * Recommendations (SPEC §4, §7): the recommendation service's ranking for the member, as listed products. The
 * service is optional, so its failure never fails the request: when it cannot answer (down, slow past its timeout,
 * breaker OPEN, bulkhead full, a malformed answer) the answer is the popular products, marked
 * `source: "fallback"` (the guide's "label the fallback"), with a warning log (throttled: an outage is one line per
 * 10 s, not one per request). If the fallback fails too, an empty list marked the same way ("a fallback can fail
 * too"): still a 200.
 */
import type { RecommendationClient } from '../../platform/dependencies/recommendation-client'
import { createFailureLog, type Logger } from '../../platform/observability/logger'
import { DependencyError } from '../../platform/resilience/dependency'
import type { Product } from '../catalog/products.model'
import type { ProductsService, Viewer } from '../catalog/products.service'
import type { Recommendations } from './recommendations.model'

export class RecommendationsService {
  private readonly logFallback
  private readonly logFallbackFailure
  /**
   * The fallback answer, one object per cached popular list: shared and never mutated, so the route serializes it
   * once per list (src/http/cached-json.ts) instead of once per request while the service is down.
   */
  private fallbackAnswer: { popular: Product[]; answer: Recommendations } | undefined

  constructor(
    private readonly client: RecommendationClient,
    private readonly products: ProductsService,
    logger: Logger,
  ) {
    this.logFallback = createFailureLog(logger, 'recommendations unavailable: answering popular products')
    this.logFallbackFailure = createFailureLog(
      logger,
      'recommendation fallback failed: answering an empty list',
    )
  }

  async recommendationsFor(viewer: NonNullable<Viewer>): Promise<Recommendations> {
    let ids: number[]
    try {
      ids = await this.client.productIdsFor(viewer.memberId)
    } catch (error) {
      if (!(error instanceof DependencyError)) throw error
      this.logFallback(error)
      return this.fallbackOf(await this.fallback(viewer))
    }
    return { source: 'recommendation', products: await this.products.listedProducts(ids, viewer) }
  }

  private fallbackOf(popular: Product[]): Recommendations {
    if (this.fallbackAnswer?.popular !== popular) {
      this.fallbackAnswer = { popular, answer: { source: 'fallback', products: popular } }
    }
    return this.fallbackAnswer.answer
  }

  private async fallback(viewer: Viewer): Promise<Product[]> {
    try {
      return await this.products.popularProducts(viewer)
    } catch (error) {
      this.logFallbackFailure(error)
      return []
    }
  }
}
