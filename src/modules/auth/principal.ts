/**
 * Who is calling, as services see it: resolved from a verified access token by the HTTP auth guard
 * (src/http/auth.ts) and passed to services as a plain value, so no service depends on HTTP.
 * `sessionId`: the refresh family of the login that issued the token (absent in tokens issued before it).
 */
import type { Role } from '../../../db/schema'

export type Principal = { memberId: number; role: Role; jti: string; expiresAt: number; sessionId?: string }
