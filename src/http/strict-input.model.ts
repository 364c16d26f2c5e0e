/**
 * The strict input types every model builds on (SPEC §3 "strict parsing"), written once here:
 * - `IntegerParam`: a number in a path or a query string. Only the canonical decimal spelling is a number; `0x1`,
 *   `1e0`, `1.0`, `+1`, `01` and ` 1` are refused, never converted (Elysia's `t.Numeric` converts them all).
 * - `Text`: free text in a body (names, descriptions, addresses), `Password`, and `TextParam` in a query string.
 * Each is a TypeBox kind of its own: the rule runs during validation, so a refusal is a 400 VALIDATION_FAILED
 * naming the field (the reason comes from `refusalOf`), and the OpenAPI document shows a plain `integer` or
 * `string` with the rule in its description. The handler sees a number, or NFC text.
 */
import { Kind, type TSchema, TypeRegistry } from '@sinclair/typebox'
import { t } from 'elysia'

const INTEGER_PARAM = 'IntegerParam'
const TEXT = 'Text'

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
  /** For the OpenAPI document (and schemathesis's example phase) */
  example?: number
}) {
  const { description, example, ...bounds } = options
  const schema = {
    [Kind]: INTEGER_PARAM,
    type: 'integer',
    ...bounds,
    description: description ? `${description}. ${INTEGER_RULE}` : INTEGER_RULE,
    ...(example === undefined ? {} : { examples: [example] }),
  } as unknown as TSchema & { static: string | number }
  return t
    .Transform(schema)
    .Decode((value) => Number(value))
    .Encode((value) => value)
}

// the text rule's switches, kept under a symbol so they stay out of the OpenAPI document
const TEXT_RULE = Symbol('text rule')
type TextSchema = TSchema & {
  minLength: number
  maxLength: number
  [TEXT_RULE]: { isMultiline: boolean; isBlankAllowed: boolean }
}

// Cc: the C0 controls, DEL and the C1 controls; a multi-line field allows tab and line feed (not CR: send \n)
const CONTROL = /\p{Cc}/u
const CONTROL_EXCEPT_TAB_LF = /[^\P{Cc}\t\n]/u
// a character that shows: not white space, not an invisible one (zero-width space, joiners, Hangul fillers, BOM…)
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}]/u

/** Length in Unicode code points, as JSON Schema counts it (an emoji is one character, not two). */
function codePointLength(wellFormed: string): number {
  let length = wellFormed.length
  for (let i = 0; i < wellFormed.length; i++) {
    const unit = wellFormed.charCodeAt(i)
    if (unit >= 0xdc00 && unit <= 0xdfff) length-- // the second half of a pair
  }
  return length
}

function textRefusal(schema: TextSchema, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string'
  if (!value.isWellFormed()) return 'must not contain unpaired UTF-16 surrogates'
  const { isMultiline, isBlankAllowed } = schema[TEXT_RULE]
  if ((isMultiline ? CONTROL_EXCEPT_TAB_LF : CONTROL).test(value)) {
    return isMultiline
      ? 'must not contain control characters other than tab and line feed'
      : 'must not contain control characters (no line breaks or tabs either)'
  }
  const text = value.normalize('NFC')
  const length = codePointLength(text)
  if (length > schema.maxLength) return `must be at most ${schema.maxLength} characters`
  if (length < schema.minLength) return `must be at least ${schema.minLength} characters`
  if (!isBlankAllowed && !VISIBLE.test(text)) {
    return 'must contain a visible character (not only spaces or invisible characters)'
  }
  return undefined
}

export type TextOptions = {
  maxLength: number
  /** Default 1 (0 when blank text is allowed). */
  minLength?: number
  /** Allows tab and line feed (descriptions, address details); single-line fields refuse every control. */
  isMultiline?: boolean
  /** Allows text with nothing visible in it (an empty description); names and addresses refuse it. */
  isBlankAllowed?: boolean
  description?: string
  /** For the OpenAPI document; a component's example is written on the component instead */
  example?: string
}

function textRule(options: TextOptions, minLength: number): string {
  return [
    `NFC-normalised; ${minLength}–${options.maxLength} Unicode characters (counted after normalisation)`,
    options.isMultiline
      ? 'no control characters except tab and line feed'
      : 'no control characters (no line breaks or tabs)',
    'no unpaired surrogates',
    ...(options.isBlankAllowed
      ? []
      : ['at least one visible character (zero-width characters do not count)']),
  ].join('; ')
}

/**
 * Free text in a JSON body: refused with 400 when it breaks the rules above. No decoding step here: the JSON body
 * parser (src/http/body-parsing.ts) has already put every string of the body in NFC, in one in-place walk that
 * costs far less than a TypeBox transform on every text field (which re-walks and copies the whole body).
 * A text field of a multipart form would need TextParam's decoding instead; no route has one.
 */
export function Text(options: TextOptions) {
  const { description, isMultiline = false, isBlankAllowed = false } = options
  const minLength = options.minLength ?? (isBlankAllowed ? 0 : 1)
  const rule = textRule(options, minLength)
  return {
    [Kind]: TEXT,
    type: 'string',
    minLength,
    maxLength: options.maxLength,
    [TEXT_RULE]: { isMultiline, isBlankAllowed },
    description: description ? `${description}. ${rule}.` : `${rule}.`,
    ...(options.example === undefined ? {} : { examples: [options.example] }),
  } as unknown as TSchema & { static: string }
}

/** The same text in a query string, which no body parser saw: the handler gets it NFC-normalised. */
export function TextParam(options: TextOptions) {
  return t
    .Transform(Text(options))
    .Decode((value) => value.normalize('NFC'))
    .Encode((value) => value)
}

/**
 * Passwords follow RFC 8265's OpaqueString profile (the IETF rule for passwords; NIST SP 800-63B also asks for
 * normalisation): any printable character, spaces included, NFC-normalised at signup and at login alike, so the
 * same password typed on two keyboards (composed or decomposed é) is the same password. Controls and unpaired
 * surrogates are refused: no keyboard types them, and Bun.password would hash every lone surrogate as U+FFFD.
 */
export const Password = (minLength: number) =>
  Text({
    minLength,
    maxLength: 128,
    isBlankAllowed: true,
    description: 'Any printable character, spaces included; hashed in its NFC form (RFC 8265 OpaqueString)',
  })

/**
 * Why `value` breaks the rule of `schema` (one of the kinds above, or a union holding one: `Text | null`);
 * undefined for any other schema, whose validator's own message stands.
 */
export function refusalOf(schema: unknown, value: unknown): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined
  const kind = (schema as Record<symbol, unknown>)[Kind]
  if (kind === INTEGER_PARAM) return integerRefusal(schema as IntegerParamSchema, value)
  if (kind === TEXT) return textRefusal(schema as TextSchema, value)
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
TypeRegistry.Set<TextSchema>(TEXT, (schema, value) => textRefusal(schema, value) === undefined)
