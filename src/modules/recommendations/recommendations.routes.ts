import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { cachedJsonResponder } from '../../http/cached-json'
import { problems } from '../../http/common.model'
import { Recommendations } from './recommendations.model'
import type { RecommendationsService } from './recommendations.service'

// checked against the schema and serialized once per answer object: the fallback's is shared (the service)
const recommendationJson = cachedJsonResponder(Recommendations)

export function recommendationsRoutes(
  guard: ReturnType<typeof authGuard>,
  recommendations: RecommendationsService,
) {
  return new Elysia({ name: 'recommendations-routes', prefix: '/api/v1' })
    .use(guard)
    .get(
      '/products/recommendations',
      async ({ principal, set }) =>
        recommendationJson(await recommendations.recommendationsFor(principal), set),
      {
        auth: 'any',
        response: { 200: Recommendations, ...problems(401) },
        detail: {
          tags: ['Products'],
          summary: 'Products recommended to me (falls back to popular products)',
          description:
            'Asks the recommendation service, behind a timeout, retries, a bulkhead and a circuit breaker. It is ' +
            'optional: when it cannot answer, this is still a 200 with the popular products and ' +
            '`source: "fallback"`. Break it on purpose with POST /api/v1/admin/faults and watch ' +
            '`circuitBreakers` in /actuator/health.',
        },
      },
    )
}
