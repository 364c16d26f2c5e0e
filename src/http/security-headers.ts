/**
 * Response headers every answer carries, for the browsers that may render or embed it: no MIME sniffing, no
 * referrer, never framed (`X-Frame-Options` for old browsers, `frame-ancestors` for the rest), and a CSP that
 * allows nothing, since JSON needs nothing. Swagger UI, the one HTML page, sets its own CSP (src/http/openapi.ts),
 * which wins over the default because a response's own headers are kept when Elysia merges these in.
 *
 * Cost: Elysia's `headers()` defaults are copied into each request's `set.headers` (one Object.assign of this
 * frozen object), so nothing is built per request.
 */
import { Elysia } from 'elysia'

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
})

export function securityHeaders() {
  return new Elysia({ name: 'security-headers' }).headers({ ...SECURITY_HEADERS })
}
