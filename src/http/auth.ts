/**
 * The auth guard, as an Elysia macro: `{ auth: 'any' }` or `{ auth: ['SELLER'] }` on a route resolves the
 * caller's `principal` from the Bearer access token or stops the request: no/invalid/expired/revoked token →
 * 401 (with `WWW-Authenticate`), valid token with the wrong role → 403. ADMIN is not a superuser here: routes
 * that admins may use list ADMIN explicitly. Ownership (BOLA) is checked in services, which answer 404.
 *
 * When: before the request body is read. Elysia parses a body before every other per-route hook (parse →
 * transform → validation → beforeHandle), so a check in `transform` alone would let an anonymous client make the
 * server read (and buffer) a 50 MiB upload, or learn 400 for malformed JSON, before hearing 401. `authBeforeBody`
 * is a global parse hook, registered ahead of the body parser, that runs the route's check first; routes without
 * a body (GET) are checked in `transform`, still before params and query are validated. Either way the principal
 * rides on the request's `set` object (a symbol key; a WeakMap keyed by request costs the GC, see
 * request-context.ts) to the `resolve` that hands it to the route.
 */
import { Elysia } from 'elysia'
import type { Role } from '../../db/schema'
import { AppError } from '../errors'
import type { Principal } from '../modules/auth/principal'
import type { JwtCodec } from '../platform/auth/jwt'
import type { TokenBlacklist } from '../platform/auth/token-blacklist'

export type AuthRequirement = 'any' | readonly Role[]

export const BEARER_SECURITY = [{ bearerAuth: [] as string[] }]
/** Anonymous, or with a token (`{}` is the anonymous alternative): what `optionalAuth` routes accept. */
export const OPTIONAL_BEARER_SECURITY: Record<string, string[]>[] = [{}, { bearerAuth: [] }]

const PRINCIPAL = Symbol('principal')
/** The per-request `set` object of Elysia's context, carrying the principal once checked */
type AuthState = { [PRINCIPAL]?: Principal }

/** The caller once authenticated (by `auth`, or by `optionalAuth` when a token came): for the access log. */
export function principalOf(set: object): Principal | undefined {
  return (set as AuthState)[PRINCIPAL]
}

/** One route's check: authenticates, checks the role, leaves the principal on `set`; throws 401/403. */
type Authorize = (request: Request, set: object) => Promise<void>
/** Tags a route's `transform` hook with its check, so `authBeforeBody` can find it by route. */
const AUTHORIZE = Symbol('authorize')

export async function authenticate(
  authorization: string | undefined,
  jwt: JwtCodec,
  blacklist: TokenBlacklist,
): Promise<Principal> {
  const match = authorization?.match(/^Bearer ([A-Za-z0-9._~+/-]+=*)$/)
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'A Bearer access token is required')
  const claims = await jwt.verify('access', match[1])
  if (claims === 'expired') throw new AppError('TOKEN_EXPIRED', 'The access token has expired')
  if (claims === 'invalid') throw new AppError('UNAUTHENTICATED', 'The access token is invalid')
  if (await blacklist.has(claims.jti)) throw new AppError('UNAUTHENTICATED', 'The access token was revoked')
  return {
    memberId: claims.memberId,
    role: claims.role,
    jti: claims.jti,
    expiresAt: claims.expiresAt,
    sessionId: claims.familyId,
  }
}

/**
 * Read from the raw request, not Elysia's `headers`: a route that declares a headers schema (If-Match,
 * Idempotency-Key) gets `headers` normalized to the declared keys only, which would drop Authorization.
 */
function authorizationOf(request: Request): string | undefined {
  return request.headers.get('authorization') ?? undefined
}

export function authGuard(deps: { jwt: JwtCodec; tokenBlacklist: TokenBlacklist }) {
  return new Elysia({ name: 'auth-guard' }).macro({
    auth(requirement: AuthRequirement) {
      const authorize: Authorize = async (request, set) => {
        const principal = await authenticate(authorizationOf(request), deps.jwt, deps.tokenBlacklist)
        if (requirement !== 'any' && !requirement.includes(principal.role)) {
          throw new AppError('ACCESS_DENIED', `This action needs the role ${requirement.join(' or ')}`)
        }
        ;(set as AuthState)[PRINCIPAL] = principal
      }
      // routes with a body were checked by authBeforeBody already; the others are checked here
      const transform = async ({ request, set }: { request: Request; set: object }) => {
        if (!(set as AuthState)[PRINCIPAL]) await authorize(request, set)
      }
      return {
        detail: { security: BEARER_SECURITY },
        transform: Object.assign(transform, { [AUTHORIZE]: authorize }),
        resolve({ set }) {
          const principal = (set as AuthState)[PRINCIPAL]
          if (!principal) throw new AppError('UNAUTHENTICATED', 'A Bearer access token is required')
          return { principal }
        },
      }
    },
    /** Public routes that show more to some callers: no token → anonymous, a bad token → 401. */
    optionalAuth: {
      detail: { security: OPTIONAL_BEARER_SECURITY },
      async resolve({ request, set }) {
        const authorization = authorizationOf(request)
        const viewer: Principal | undefined = authorization
          ? await authenticate(authorization, deps.jwt, deps.tokenBlacklist)
          : undefined
        if (viewer) (set as AuthState)[PRINCIPAL] = viewer
        return { viewer }
      },
    },
  })
}

type RouteWithHooks = { method: string; path: string; hooks?: unknown }

/** route template → method → the route's check, from the tags `auth` left on the routes' transform hooks */
function indexAuthorizers(routes: readonly RouteWithHooks[]): Map<string, Map<string, Authorize>> {
  const index = new Map<string, Map<string, Authorize>>()
  for (const route of routes) {
    const transforms = (route.hooks as { transform?: { fn?: unknown }[] } | undefined)?.transform ?? []
    const tagged = transforms.find((hook) => (hook.fn as { [AUTHORIZE]?: Authorize })?.[AUTHORIZE])
    const authorize = (tagged?.fn as { [AUTHORIZE]?: Authorize } | undefined)?.[AUTHORIZE]
    if (!authorize) continue
    if (!index.has(route.path)) index.set(route.path, new Map())
    index.get(route.path)!.set(route.method, authorize)
  }
  return index
}

/**
 * Runs each `auth` route's check as the first parse hook (see the header): use it before the body parser.
 * Costs a request with a body two Map lookups; the index is built from the routes on first use.
 */
export function authBeforeBody(routes: () => readonly RouteWithHooks[]) {
  let index: Map<string, Map<string, Authorize>> | undefined
  return new Elysia({ name: 'auth-before-body' }).onParse({ as: 'global' }, ({ request, route, set }) => {
    index ??= indexAuthorizers(routes())
    // a promise only for auth routes; it resolves to undefined, so the body parser after this one still runs
    return index.get(route)?.get(request.method)?.(request, set)
  })
}
