/**
 * The strict input types every model builds on (SPEC §3 "strict parsing"), written once here:
 * - `IntegerParam`: a number in a path or a query string. Only the canonical decimal spelling is a number; `0x1`,
 *   `1e0`, `1.0`, `+1`, `01` and ` 1` are refused, never converted (Elysia's `t.Numeric` converts them all).
 * Each is a TypeBox kind of its own: the rule runs during validation, so a refusal is a 400 VALIDATION_FAILED
 * naming the field (the reason comes from `refusalOf`), and the OpenAPI document shows a plain `integer` with
 * the rule in its description. The value the handler sees is decoded: a number.
 */
import { Kind, type TSchema, TypeRegistry } from '@sinclair/typebox'
import { t } from 'elysia'

const INTEGER_PARAM = 'IntegerParam'

// One spelling per number: no sign, exponent, fraction, radix prefix, whitespace or leading zero.
const CANONICAL_DECIMAL = /^(?:0|[1-9][0-9]*)$/
const INTEGER_RULE =
  'Plain decimal digits only: no sign, spaces, leading zeros, fraction, exponent or 0x prefix ' +
  '(`01`, `+1`, `1.0`, `1e0`, `0x1`, ` 1` are refused with 400).'

type IntegerParamSchema = TSchema & { minimum: number; maximum: number }

function integerRefusal(schema: IntegerParamSchema, value: unknown): string | undefined {
  // a number is the already decoded value (Elysia decodes a query twice) or the schema's default
  const number = typeof value === 'string' && CANONICAL_DECIMAL.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    return 'must be a plain decimal integer (digits only, no sign, leading zero, fraction or exponent)'
  }
  if (number < schema.minimum) return `must be at least ${schema.minimum}`
  if (number > schema.maximum) return `must be at most ${schema.maximum}`
  return undefined
}

/** An integer carried as text in a path or query; the handler gets a number. */
export function IntegerParam(options: {
  minimum: number
  maximum: number
  default?: number
  description?: string
}) {
  const { description, ...bounds } = options
  const schema = {
    [Kind]: INTEGER_PARAM,
    type: 'integer',
    ...bounds,
    description: description ? `${description}. ${INTEGER_RULE}` : INTEGER_RULE,
  } as unknown as TSchema & { static: string | number }
  return t
    .Transform(schema)
    .Decode((value) => Number(value))
    .Encode((value) => value)
}

/**
 * Why `value` breaks the rule of `schema` (one of the kinds above, or a union holding one);
 * undefined for any other schema, whose validator's own message stands.
 */
export function refusalOf(schema: unknown, value: unknown): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined
  const kind = (schema as Record<symbol, unknown>)[Kind]
  if (kind === INTEGER_PARAM) return integerRefusal(schema as IntegerParamSchema, value)
  const branches = (schema as { anyOf?: unknown[] }).anyOf
  if (!Array.isArray(branches) || value === null) return undefined
  for (const branch of branches) {
    const reason = refusalOf(branch, value)
    if (reason) return reason
  }
  return undefined
}

TypeRegistry.Set<IntegerParamSchema>(
  INTEGER_PARAM,
  (schema, value) => integerRefusal(schema, value) === undefined,
)
