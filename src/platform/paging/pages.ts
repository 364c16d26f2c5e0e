/**
 * Pages as services see them, free of HTTP: the request of an offset page, the page envelopes of SPEC §3 and the
 * size limits the route schemas enforce. Routes validate and default `page`/`size`/`limit` (src/http/
 * common.model.ts reads the limits from here); services receive plain numbers.
 */

export const MAX_PAGE_SIZE = 100
export const DEFAULT_PAGE_SIZE = 20

export type PageRequest = { page: number; size: number }

export type Paged<T> = {
  items: T[]
  page: { number: number; size: number; totalElements: number; totalPages: number }
}

export type CursorPaged<T> = { items: T[]; nextCursor: string | null; hasNext: boolean }

export function toPage<T>(items: T[], request: PageRequest, totalElements: number): Paged<T> {
  return {
    items,
    page: {
      number: request.page,
      size: request.size,
      totalElements,
      totalPages: Math.ceil(totalElements / request.size),
    },
  }
}
