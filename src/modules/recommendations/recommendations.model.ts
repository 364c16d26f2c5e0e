import { type Static, t } from 'elysia'
import { component, exampleOf } from '../../http/component.model'
import { Product } from '../catalog/products.model'

export const Recommendations = component(
  'Recommendations',
  t.Object({
    source: t.Union([t.Literal('recommendation'), t.Literal('fallback')], {
      description:
        '`recommendation`: ranked for you by the recommendation service. `fallback`: the service could not ' +
        'answer (down, too slow, its circuit breaker open, too busy), so these are the popular products ' +
        '(or nothing, if even those could not be read)',
    }),
    products: t.Array(Product),
  }),
  {
    description: 'Products recommended to the caller, and where the list came from',
    example: { source: 'recommendation', products: [exampleOf(Product)] },
  },
)
export type Recommendations = Static<typeof Recommendations>
