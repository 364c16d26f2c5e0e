/**
 * The auth guard, as an Elysia macro: `{ auth: 'any' }` or `{ auth: ['SELLER'] }` on a route resolves the
 * caller's `principal` from the Bearer access token or stops the request: no/invalid/expired/revoked token →
 * 401 (with `WWW-Authenticate`), valid token with the wrong role → 403. ADMIN is not a superuser here: routes
 * that admins may use list ADMIN explicitly. Ownership (BOLA) is checked in services, which answer 404.
 */
import { Elysia } from 'elysia'
import type { Role } from '../../db/schema'
import { AppError } from '../errors'
import type { JwtCodec } from '../platform/auth/jwt'
import type { TokenBlacklist } from '../platform/auth/token-blacklist'

/** `sessionId`: the refresh family of the login that issued the token (absent in tokens issued before it). */
export type Principal = { memberId: number; role: Role; jti: string; expiresAt: number; sessionId?: string }

export type AuthRequirement = 'any' | readonly Role[]

export const BEARER_SECURITY = [{ bearerAuth: [] as string[] }]

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
  // Authentication runs in `transform`, before Elysia validates params, query and body: a caller without the
  // right token learns 401/403, not the shape of the input the route expects. `resolve` hands it to the route.
  const principals = new WeakMap<Request, Principal>()
  return new Elysia({ name: 'auth-guard' }).macro({
    auth(requirement: AuthRequirement) {
      return {
        detail: { security: BEARER_SECURITY },
        async transform({ request }) {
          const principal = await authenticate(authorizationOf(request), deps.jwt, deps.tokenBlacklist)
          if (requirement !== 'any' && !requirement.includes(principal.role)) {
            throw new AppError('ACCESS_DENIED', `This action needs the role ${requirement.join(' or ')}`)
          }
          principals.set(request, principal)
        },
        resolve({ request }) {
          const principal = principals.get(request)
          if (!principal) throw new AppError('UNAUTHENTICATED', 'A Bearer access token is required')
          return { principal }
        },
      }
    },
    /** Public routes that show more to some callers: no token → anonymous, a bad token → 401. */
    optionalAuth: {
      async resolve({ request }) {
        const authorization = authorizationOf(request)
        const viewer: Principal | undefined = authorization
          ? await authenticate(authorization, deps.jwt, deps.tokenBlacklist)
          : undefined
        return { viewer }
      },
    },
  })
}
