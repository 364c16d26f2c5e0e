import { Type } from '@sinclair/typebox'
import { type Static, t } from 'elysia'
import { component } from '../../http/component.model'

const Dependency = t.Union([t.Literal('payment'), t.Literal('recommendation')], {
  description: 'Which simulated dependency to break or heal',
})
const Mode = t.Union(
  [
    t.Literal('healthy'),
    t.Literal('error'),
    t.Literal('timeout'),
    t.Literal('reset'),
    t.Literal('slow'),
    t.Literal('outage'),
  ],
  {
    description:
      '`error`: 503s; `timeout`: no answer; `reset`: dropped connection (the payment gateway drops it after ' +
      'capturing: the charge happens, its answer is lost); `slow`: the body dribbles over ≥ 2 s; `outage`: every ' +
      'connection dropped; `healthy`: back to normal',
  },
)

export const FaultRequest = component(
  'FaultRequest',
  t.Object({
    dependency: Dependency,
    mode: t.Optional(Mode),
    failureRate: t.Optional(
      t.Number({
        minimum: 0,
        maximum: 1,
        description: 'Share of requests the mode hits (default 1 for a new mode)',
      }),
    ),
    latencyMs: t.Optional(
      Type.Integer({ minimum: 0, maximum: 120_000, description: 'Added to every request' }),
    ),
  }),
  {
    description: 'A change to a simulated dependency’s faults; what is left out stays as it is',
    example: { dependency: 'recommendation', mode: 'error', failureRate: 0.5 },
  },
)
export type FaultRequest = Static<typeof FaultRequest>

export const FaultSettings = component(
  'FaultSettings',
  t.Object({
    dependency: Dependency,
    mode: Mode,
    failureRate: t.Number(),
    latencyMs: Type.Integer(),
  }),
  {
    description: 'The simulated dependency’s faults now (every instance using that simulator sees them)',
    example: { dependency: 'recommendation', mode: 'error', failureRate: 0.5, latencyMs: 0 },
  },
)
export type FaultSettings = Static<typeof FaultSettings>
