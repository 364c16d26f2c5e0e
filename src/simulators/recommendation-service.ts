/**
 * A recommendation service simulator (SPEC §7), behind the fault injection of sim-server.ts: per member, a stable
 * ranking of product ids drawn from its catalog (a seeded shuffle, so a member sees the same list every time).
 *
 * - `GET /v1/recommendations?memberId=&limit=` (limit 1..50, default 10) → `{ memberId, productIds }`;
 * - `PUT /v1/catalog` `{ productIds: number[] }` (up to 10,000 ids) → the catalog it recommends from from then on.
 *   Started by the app (embedded default), it reads the app's visible products instead (at most every 5 s), as a
 *   real service would learn the catalog; standalone it starts with ids 1..SIM_PRODUCT_ID_MAX (50).
 *
 * Standalone: `bun run sim:recommendations` (PORT, default 7102; HOST, default 127.0.0.1).
 */
import { type SimAnswer, type SimRequest, type Simulator, startSimulator } from './sim-server'

const MAX_CATALOG = 10_000
const MAX_LIMIT = 50
const CATALOG_REFRESH_MS = 5_000

/** Where the catalog comes from: a fixed list, or a reader asked again at most every 5 s. */
export type CatalogSource = readonly number[] | (() => Promise<readonly number[]>)

export function startRecommendationService(
  catalog: CatalogSource,
  port = 0,
  hostname = '127.0.0.1',
): Promise<Simulator> {
  let source = catalog
  let cached: { ids: readonly number[]; at: number } | undefined
  const counters = { served: 0 }
  const productIdsNow = async (): Promise<readonly number[]> => {
    if (typeof source !== 'function') return source
    if (!cached || Date.now() - cached.at > CATALOG_REFRESH_MS)
      cached = { ids: await source(), at: Date.now() }
    return cached.ids
  }

  const recommend = async (query: URLSearchParams): Promise<SimAnswer> => {
    const memberId = Number(query.get('memberId'))
    const limit = query.has('limit') ? Number(query.get('limit')) : 10
    if (!Number.isSafeInteger(memberId) || memberId < 1)
      return { status: 400, body: { error: 'invalid memberId' } }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      return { status: 400, body: { error: `limit must be 1..${MAX_LIMIT}` } }
    counters.served++
    return { status: 200, body: { memberId, productIds: rankingFor(memberId, await productIdsNow(), limit) } }
  }

  const setCatalog = (body: unknown): SimAnswer => {
    const ids = (body as { productIds?: unknown } | undefined)?.productIds
    if (
      !Array.isArray(ids) ||
      ids.length > MAX_CATALOG ||
      !ids.every((id) => Number.isSafeInteger(id) && id > 0)
    )
      return { status: 400, body: { error: `productIds must be up to ${MAX_CATALOG} positive integers` } }
    source = [...new Set(ids as number[])]
    return { status: 200, body: { productIds: source.length } }
  }

  const routes = (request: SimRequest): SimAnswer | Promise<SimAnswer> => {
    if (request.method === 'GET' && request.path === '/v1/recommendations') return recommend(request.query)
    if (request.method === 'PUT' && request.path === '/v1/catalog') return setCatalog(request.body)
    return { status: 404, body: { error: 'no such route' } }
  }

  return startSimulator(
    { name: 'recommendation service', routes, counters: () => ({ ...counters }) },
    port,
    hostname,
  )
}

/**
 * The first `limit` of the catalog shuffled by a generator seeded with the member id (mulberry32, a partial
 * Fisher–Yates): stable per member, and O(limit) swaps however large the catalog.
 */
function rankingFor(memberId: number, catalog: readonly number[], limit: number): number[] {
  let seed = memberId >>> 0
  const next = () => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const ranking = [...catalog]
  const count = Math.min(limit, ranking.length)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (ranking.length - i))
    ;[ranking[i], ranking[j]] = [ranking[j]!, ranking[i]!]
  }
  return ranking.slice(0, count)
}
