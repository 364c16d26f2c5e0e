import { Type } from '@sinclair/typebox'
/**
 * Schemas shared by every module: the problem body (RFC 9457), id params, page queries and page envelopes
 * (the strict integer and text types they build on: ./strict-input.model.ts).
 * Written once; validation, TypeScript types and the OpenAPI document all come from these; `component` names
 * the ones a client generator should see as types (./component.model.ts).
 */
import { type TSchema, t } from 'elysia'
import { ERROR_STATUS, type ErrorCode } from '../errors'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../platform/paging/pages'
import { component, componentNameOf, exampleOf } from './component.model'
import { IntegerParam } from './strict-input.model'

export const ErrorCodeSchema = component(
  'ErrorCode',
  t.UnionEnum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]], { default: undefined }),
  {
    description: 'Stable machine-readable error code (SPEC §8); each code always comes with the same status',
    example: 'PRODUCT_OUT_OF_STOCK',
  },
)

export const FieldProblem = component(
  'FieldProblem',
  t.Object({
    field: t.String({ description: 'Dotted path of the refused input, e.g. `shippingAddress.zipCode`' }),
    message: t.String({ description: 'Why it was refused' }),
  }),
  {
    description: 'One refused input field of a 400 VALIDATION_FAILED',
    example: { field: 'orderItems.0.quantity', message: 'must be at most 1000' },
  },
)

export const Problem = component(
  'Problem',
  t.Object({
    type: t.String({ description: 'URI naming the problem type, one per code' }),
    title: t.String({ description: 'Short summary of the problem type' }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status, repeated' }),
    detail: t.String({ description: 'What went wrong with this request, for people' }),
    instance: t.String({ description: 'The request path' }),
    code: ErrorCodeSchema,
    requestId: t.String({ description: 'The X-Request-Id of the request, also in the server logs' }),
    errors: t.Optional(
      t.Array(FieldProblem, { description: 'Only for VALIDATION_FAILED: each refused field' }),
    ),
  }),
  {
    description: 'RFC 9457 problem details, sent as application/problem+json for every error',
    example: {
      type: 'https://marketplace.example/problems/product-out-of-stock',
      title: 'Product out of stock',
      status: 409,
      detail: 'Product 2 has 1 in stock; 3 requested',
      instance: '/api/v1/orders',
      code: 'PRODUCT_OUT_OF_STOCK',
      requestId: '9f2c41d7a0-2bq',
    },
  },
)

/** Positive integer id in a body or a response. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
/** The same id in a path or a query string: canonical decimal digits only; anything else is a 400. */
export const IdParam = (description = 'Positive integer id') =>
  IntegerParam({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description, example: 1 })
export const IdParams = t.Object({ id: IdParam() })

/**
 * An optional query parameter with a default: when it is absent Elysia fills the default in before validation,
 * so the handler always has a value and its type says so (the default lives in the schema, nowhere else).
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  return t.Optional(schema) as unknown as T
}

const PageSize = (description: string) =>
  Defaulted(
    IntegerParam({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description,
      example: 20,
    }),
  )

export const OffsetPageQuery = {
  page: Defaulted(
    IntegerParam({
      minimum: 0,
      maximum: 1_000_000,
      default: 0,
      description: 'Page number, 0-based',
      example: 0,
    }),
  ),
  size: PageSize('Page size'),
}

// a real cursor: 41 bytes (position, filter fingerprint, MAC) in base64url
const CURSOR_EXAMPLE = 'AQAAAaISJdkAAAAAAAAAACpEE2-jVbNnioDJ_HlrHMLkLBK8SfAIhL8'

export const CursorPageQuery = {
  cursor: t.Optional(
    t.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[A-Za-z0-9_-]+$',
      description:
        'The `nextCursor` of the previous page; omit it for the first page. A tampered cursor is a 400',
      examples: [CURSOR_EXAMPLE],
    }),
  ),
  limit: PageSize('Items per page'),
}

export const PageInfo = component(
  'PageInfo',
  t.Object({
    number: Type.Integer({ minimum: 0, description: 'This page, 0-based' }),
    size: Type.Integer({ minimum: 1, description: 'Requested page size' }),
    totalElements: Type.Integer({ minimum: 0, description: 'Items matching, over all pages' }),
    totalPages: Type.Integer({ minimum: 0 }),
  }),
  {
    description: 'Position of an offset page (SPEC §3)',
    example: { number: 0, size: 20, totalElements: 1, totalPages: 1 },
  },
)

/** `ProductPage`: a page of the named component `item`, with its example as the only item. */
export const OffsetPage = <T extends TSchema>(item: T) =>
  component(`${componentNameOf(item)}Page`, t.Object({ items: t.Array(item), page: PageInfo }), {
    description: `One offset page of ${componentNameOf(item)} (\`page\` and \`size\` query parameters)`,
    example: { items: [exampleOf(item)], page: exampleOf(PageInfo) },
  })

/** `OrderCursorPage`: a keyset page of the named component `item`. */
export const CursorPage = <T extends TSchema>(item: T) =>
  component(
    `${componentNameOf(item)}CursorPage`,
    t.Object({
      items: t.Array(item),
      nextCursor: t.Union([t.String(), t.Null()], {
        description: 'Send it as `cursor` for the next page; null on the last page',
      }),
      hasNext: t.Boolean(),
    }),
    {
      description: `One keyset page of ${componentNameOf(item)}, newest first (\`cursor\` and \`limit\`)`,
      example: { items: [exampleOf(item)], nextCursor: CURSOR_EXAMPLE, hasNext: true },
    },
  )

/** `ProductList`: an unpaged array of the named component `item` (short lists: popular, categories). */
export const ListOf = <T extends TSchema>(item: T, description: string) =>
  component(`${componentNameOf(item)}List`, t.Array(item), { description, example: [exampleOf(item)] })

/** The problem responses a route documents, by status: `problems(400, 401, 404)`. */
export function problems<S extends number>(...statuses: S[]): Record<S, typeof Problem> {
  return Object.fromEntries(statuses.map((s) => [s, Problem])) as Record<S, typeof Problem>
}

export const Timestamp = t.String({ format: 'date-time', description: 'ISO 8601, UTC' })

/** A 204 has no body; src/http/openapi.ts documents it without content. */
export const NoContent = t.Void({ description: 'No content' })
