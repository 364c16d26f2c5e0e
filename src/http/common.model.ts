import { Type } from '@sinclair/typebox'
/**
 * Schemas shared by every module: the problem body (RFC 9457), id params, page queries and page envelopes
 * (the strict integer and text types they build on: ./strict-input.model.ts).
 * Written once; validation, TypeScript types and the OpenAPI document all come from these.
 */
import { type TSchema, t } from 'elysia'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../platform/paging/pages'
import { IntegerParam } from './strict-input.model'

export const Problem = t.Object(
  {
    type: t.String(),
    title: t.String(),
    status: Type.Integer(),
    detail: t.String(),
    instance: t.String(),
    code: t.String(),
    requestId: t.String(),
    errors: t.Optional(t.Array(t.Object({ field: t.String(), message: t.String() }))),
  },
  { description: 'RFC 9457 problem details' },
)

/** Positive integer id in a body or a response. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
/** The same id in a path or a query string: canonical decimal digits only; anything else is a 400. */
export const IdParam = (description = 'Positive integer id') =>
  IntegerParam({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description })
export const IdParams = t.Object({ id: IdParam() })

/**
 * An optional query parameter with a default: when it is absent Elysia fills the default in before validation,
 * so the handler always has a value and its type says so (the default lives in the schema, nowhere else).
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  return t.Optional(schema) as unknown as T
}

const PageSize = (description: string) =>
  Defaulted(IntegerParam({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description }))

export const OffsetPageQuery = {
  page: Defaulted(
    IntegerParam({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Page number, 0-based' }),
  ),
  size: PageSize('Page size'),
}

export const CursorPageQuery = {
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' })),
  limit: PageSize('Items per page'),
}

export const PageInfo = t.Object({
  number: Type.Integer({ minimum: 0 }),
  size: Type.Integer({ minimum: 1 }),
  totalElements: Type.Integer({ minimum: 0 }),
  totalPages: Type.Integer({ minimum: 0 }),
})

export const OffsetPage = <T extends TSchema>(item: T) => t.Object({ items: t.Array(item), page: PageInfo })
export const CursorPage = <T extends TSchema>(item: T) =>
  t.Object({ items: t.Array(item), nextCursor: t.Union([t.String(), t.Null()]), hasNext: t.Boolean() })

/** The problem responses a route documents, by status: `problems(400, 401, 404)`. */
export function problems<S extends number>(...statuses: S[]): Record<S, typeof Problem> {
  return Object.fromEntries(statuses.map((s) => [s, Problem])) as Record<S, typeof Problem>
}

export const Timestamp = t.String({ format: 'date-time' })

/** A 204 has no body; src/http/openapi.ts documents it without content. */
export const NoContent = t.Void({ description: 'No content' })
