/**
 * SPEC §7 rate limits as HTTP: the counting lives in src/platform/limits/rate-limiter.ts, this file decides what is
 * counted and what the client sees. Two scopes (and `signup`, per client address, on its route):
 * - `ip`: every /api/v1 request per client IP, in `onRequest`, before routing and authentication (a cheap shield:
 *   a flood is refused before any token is verified or body parsed). Health, metrics, docs and uploads live
 *   outside /api/v1 and are never limited. The IP is the client address of src/http/client-address.ts: the socket's
 *   peer, or behind TRUSTED_PROXIES the right-most untrusted X-Forwarded-For entry.
 * - `orders`: order placement per member, after authentication and validation (it needs the member; a caller
 *   without a token still gets 401, a malformed order 400, neither spends the allowance).
 * A refusal is a 429 `RATE_LIMITED` problem with `RateLimit-Policy`, `RateLimit` (draft-ietf-httpapi-ratelimit-
 * headers, `limit=10, remaining=0, reset=1`) and `Retry-After`. Admitted order placements carry the first two
 * (the per-member allowance is what a client paces itself by); admitted requests under the IP limit alone carry
 * none, because adding response headers to every read is most of what the IP check cost (below).
 *
 * Hooks destructure exactly what they read (see request-context.ts): the IP hook costs the hot read one Map op,
 * with or without Redis (with Redis the counts are shared in batches, src/platform/limits/batched-rate-limiter.ts; one
 * round trip per request halved the cached read's throughput). Headers on every admitted response made the
 * cached read measurably slower; without them the IP limit costs within the bench's noise (docs/performance.md).
 */
import { Elysia } from 'elysia'
import type { Counter } from 'prom-client'
import { AppError } from '../errors'
import type { RateLimitDecision, RateLimiter } from '../platform/limits/rate-limiter'
import type { ClientAddressOf } from './client-address'
import { pathOf } from './url-path'

type Headers = Record<string, string | number>
type RejectionCounter = ReturnType<Counter<'scope'>['labels']>

const LIMITED_PREFIX = '/api/v1/'

function policyOf(decision: RateLimitDecision): string {
  return `${decision.limit};w=${decision.windowSeconds}`
}

/** Throws the 429 for a refused request; annotates an admitted one when `headers` is given. */
function enforce(
  decision: RateLimitDecision | undefined,
  headers: Headers | undefined,
  rejected: RejectionCounter,
) {
  if (!decision) return // limiter unavailable: fail open, no headers (src/platform/limits/rate-limiter.ts)
  if (decision.isAllowed && !headers) return
  const rateLimit = `limit=${decision.limit}, remaining=${decision.remaining}, reset=${decision.resetSeconds}`
  if (decision.isAllowed && headers) {
    headers['ratelimit-policy'] = policyOf(decision)
    headers.ratelimit = rateLimit
    return
  }
  rejected.inc()
  throw new AppError('RATE_LIMITED', `Rate limit exceeded; retry in ${decision.resetSeconds} s`, {
    headers: {
      'ratelimit-policy': policyOf(decision),
      ratelimit: rateLimit,
      'retry-after': String(decision.resetSeconds),
    },
  })
}

function isLimitedUrl(url: string): boolean {
  return pathOf(url).startsWith(LIMITED_PREFIX)
}

/** The per-IP limit over /api/v1; a no-op plugin when the limit is off. */
export function ipRateLimit(
  limiter: RateLimiter | undefined,
  rejections: Counter<'scope'>,
  clientAddressOf: ClientAddressOf,
) {
  const plugin = new Elysia({ name: 'ip-rate-limit' })
  if (!limiter) return plugin
  const rejected = rejections.labels('ip')
  if (limiter.isSynchronous) {
    return plugin.onRequest(({ request, server }) => {
      if (!isLimitedUrl(request.url)) return
      enforce(limiter.hit(clientAddressOf(request, server)) as RateLimitDecision, undefined, rejected)
    })
  }
  // Elysia awaits a hook only when it is declared async; the Redis limiter answers with a promise.
  return plugin.onRequest(async ({ request, server }) => {
    if (!isLimitedUrl(request.url)) return
    enforce(await limiter.hit(clientAddressOf(request, server)), undefined, rejected)
  })
}

/**
 * The limit of one route per caller key (a member id; a client address for signup), for its handler to call
 * once the key is known; a no-op when off. Not a hot read, so one async shape serves both limiters.
 */
export function keyedRateLimit(
  limiter: RateLimiter | undefined,
  scope: string,
  rejections: Counter<'scope'>,
) {
  if (!limiter) return async (_key: number | string, _headers: Headers) => {}
  const rejected = rejections.labels(scope)
  return async (key: number | string, headers: Headers) => {
    enforce(await limiter.hit(String(key)), headers, rejected)
  }
}

/** The per-member limit of one route (order placement). */
export const memberRateLimit = keyedRateLimit

export type KeyedRateLimit = ReturnType<typeof keyedRateLimit>
export type MemberRateLimit = KeyedRateLimit
