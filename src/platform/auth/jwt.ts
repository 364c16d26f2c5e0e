/**
 * JWT issue and verification (jose). HS256 is pinned (no `alg: none`, no algorithm confusion), `iss`, `aud`,
 * `exp`, `jti`, `sub` are required. Access and refresh tokens are signed with different keys derived from the
 * one secret, and carry `token_use`, so a refresh token can never pass as an access token. Both name the login
 * session they belong to (the refresh-token family): `fam` on refresh tokens, `sid` on access tokens, so logout
 * can end the session from the access token alone.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import type { Role } from '../../../db/schema'

export type TokenUse = 'access' | 'refresh'

export type TokenClaims = {
  memberId: number
  role: Role
  jti: string
  /** expiry, epoch ms */
  expiresAt: number
  /** the login session: the refresh-token family (`fam` on refresh tokens, `sid` on access tokens) */
  familyId?: string
}

export type JwtSettings = {
  secret: string
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
}

export type VerifyFailure = 'expired' | 'invalid'

export class JwtCodec {
  private readonly keys: Record<TokenUse, Uint8Array>

  constructor(private readonly settings: JwtSettings) {
    const derive = (use: TokenUse) =>
      new Uint8Array(createHmac('sha256', settings.secret).update(use).digest())
    this.keys = { access: derive('access'), refresh: derive('refresh') }
  }

  async issue(
    use: TokenUse,
    subject: { memberId: number; role: Role; familyId?: string },
  ): Promise<{ token: string; claims: TokenClaims }> {
    const ttl = use === 'access' ? this.settings.accessTtlSeconds : this.settings.refreshTtlSeconds
    const jti = randomUUID()
    const nowSeconds = Math.floor(Date.now() / 1000)
    const extra = subject.familyId ? { [use === 'access' ? 'sid' : 'fam']: subject.familyId } : {}
    const token = await new SignJWT({ role: subject.role, token_use: use, ...extra })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(String(subject.memberId))
      .setJti(jti)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ttl)
      .sign(this.keys[use])
    return {
      token,
      claims: { ...subject, jti, expiresAt: (nowSeconds + ttl) * 1000 },
    }
  }

  /**
   * Access tokens already verified, by their exact text, until they expire: jose's asynchronous WebCrypto check
   * costs tens of µs plus promise hops on every authenticated request, and a token's signature and claims never
   * change. Bounded (oldest evicted first); expiry is re-checked on every hit; revocation is not cached here
   * (the blacklist is asked on every request, see http/auth.ts).
   */
  private readonly verifiedAccess = new Map<string, TokenClaims>()
  private static readonly MAX_CACHED = 10_000

  async verify(use: TokenUse, token: string): Promise<TokenClaims | VerifyFailure> {
    if (use !== 'access') return this.verifyWithJose(use, token)
    const cached = this.verifiedAccess.get(token)
    if (cached) {
      if (cached.expiresAt > Date.now()) return cached
      this.verifiedAccess.delete(token)
      return 'expired'
    }
    const claims = await this.verifyWithJose(use, token)
    if (typeof claims !== 'string') {
      if (this.verifiedAccess.size >= JwtCodec.MAX_CACHED) {
        const oldest = this.verifiedAccess.keys().next().value
        if (oldest !== undefined) this.verifiedAccess.delete(oldest)
      }
      this.verifiedAccess.set(token, claims)
    }
    return claims
  }

  private async verifyWithJose(use: TokenUse, token: string): Promise<TokenClaims | VerifyFailure> {
    try {
      const { payload } = await jwtVerify(token, this.keys[use], {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'jti', 'sub', 'iat'],
      })
      const memberId = Number(payload.sub)
      const role = payload.role
      if (payload.token_use !== use || !Number.isSafeInteger(memberId) || memberId <= 0) return 'invalid'
      if (role !== 'BUYER' && role !== 'SELLER' && role !== 'ADMIN') return 'invalid'
      return {
        memberId,
        role,
        jti: String(payload.jti),
        expiresAt: (payload.exp ?? 0) * 1000,
        familyId: stringClaim(use === 'access' ? payload.sid : payload.fam),
      }
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : 'invalid'
    }
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
