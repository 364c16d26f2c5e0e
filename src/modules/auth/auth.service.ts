/**
 * Signup, login, refresh rotation with reuse detection, logout. Passwords: argon2id (Bun.password). Login
 * answers the same 401 for an unknown email and a wrong password, and spends the same hashing time on both.
 *
 * Login throttling (429) without lock-out: failures are counted per (account, client address) pair, per address,
 * and per account, each in a fixed window (thresholds: config.login). The pair limit stops one address guessing
 * one account; the address limit stops one address spraying many accounts; the account limit is much higher than
 * the pair's (config.ts refuses it otherwise), so a wrong-password storm from one address — or from a few — never
 * locks the owner out from their own address, while a guesser spread over many addresses is still capped per
 * account. Progressive delays were not chosen: a delay holds the attacker's request, not their next one, so
 * parallel guessing goes on unslowed.
 */
import { randomUUID } from 'node:crypto'
import type { Role } from '../../../db/schema'
import { AppError } from '../../errors'
import type { JwtCodec } from '../../platform/auth/jwt'
import type { PasswordHasher } from '../../platform/auth/password-hasher'
import type { TokenBlacklist } from '../../platform/auth/token-blacklist'
import type { ReadRouter } from '../../platform/db/read-routing'
import type { AttemptLimiter } from '../../platform/limits/attempt-limiter'
import { SIGNUP_RESULTS, type SignupResult } from '../../platform/observability/metrics'
import type { Member } from '../members/members.model'
import type { MembersService } from '../members/members.service'
import type { SignupInput, TokenPair } from './auth.model'
import { findRefreshToken, type RefreshTokenWrites } from './auth.repository'

export type AuthServiceDeps = {
  /** the session's refresh-token writes (the local file, or a libSQL server) */
  refreshTokens: RefreshTokenWrites
  /** refresh tokens are read from the primary (a rotation's new token is used at once) */
  reads: ReadRouter
  members: MembersService
  jwt: JwtCodec
  tokenBlacklist: TokenBlacklist
  passwordHasher: PasswordHasher
  loginLimiters: { pair: AttemptLimiter; ip: AttemptLimiter; account: AttemptLimiter }
  accessTtlSeconds: number
  /** marketplace_signups_total{result} */
  signups: { inc(labels: { result: SignupResult }): void }
}

/** A refusal's result label: its error code in lower case, when SIGNUP_RESULTS names it (others are not counted). */
function signupResultOf(code: string): SignupResult | undefined {
  const result = code.toLowerCase()
  return SIGNUP_RESULTS.find((known) => known === result)
}

export class AuthService {
  /** verified against when the email is unknown, so both failures cost the same time */
  private readonly decoyHash: Promise<string>

  constructor(private readonly deps: AuthServiceDeps) {
    this.decoyHash = deps.passwordHasher.hash(randomUUID())
  }

  /**
   * Every refusal comes before the hash: a taken email is answered from one indexed lookup, so a caller cannot
   * make the server spend argon2id on signups that cannot succeed. The UNIQUE index still decides a race between
   * two signups of one email (registerMember answers the loser with the same 409).
   */
  async signup(input: SignupInput): Promise<Member> {
    try {
      const member = await this.register(input)
      this.deps.signups.inc({ result: 'created' })
      return member
    } catch (error) {
      const result = error instanceof AppError ? signupResultOf(error.code) : undefined
      if (result) this.deps.signups.inc({ result })
      throw error
    }
  }

  private async register(input: SignupInput): Promise<Member> {
    if (input.role === 'SELLER' && !input.businessNumber) {
      throw new AppError('BUSINESS_NUMBER_REQUIRED', 'Sellers must give a businessNumber')
    }
    const email = normalizeEmail(input.email)
    await this.deps.members.refuseTakenEmail(email)
    return this.deps.members.registerMember({
      email,
      passwordHash: await this.deps.passwordHasher.hash(input.password),
      name: input.name.trim(),
      phone: input.phone ?? null,
      role: input.role,
      businessNumber: input.businessNumber ?? null,
    })
  }

  async login(emailInput: string, password: string, clientIp: string): Promise<TokenPair> {
    const email = normalizeEmail(emailInput)
    const { pair, ip, account } = this.deps.loginLimiters
    // an address never contains '/', so the first '/' ends it: no two (address, email) pairs share a key
    const throttles = [
      [pair, `pair:${clientIp}/${email}`],
      [ip, `ip:${clientIp}`],
      [account, `account:${email}`],
    ] as const
    await this.refuseWhenThrottled(throttles)

    const credentials = await this.deps.members.findCredentials(email)
    const isValid = await this.deps.passwordHasher.verify(
      password,
      credentials?.passwordHash ?? (await this.decoyHash),
    )
    if (!credentials || !isValid) {
      await Promise.all(throttles.map(([limiter, key]) => limiter.recordFailure(key)))
      throw new AppError('INVALID_CREDENTIALS', 'Email or password is incorrect')
    }
    // only the pair forgets: a success must not refill the address's or the account's allowance for a guesser
    await pair.reset(throttles[0][1])
    return this.issuePair(credentials.id, credentials.role, randomUUID())
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.deps.jwt.verify('refresh', refreshToken)
    if (claims === 'expired') throw new AppError('TOKEN_EXPIRED', 'The refresh token has expired')
    if (claims === 'invalid' || !claims.familyId)
      throw new AppError('UNAUTHENTICATED', 'The refresh token is invalid')
    const stored = await findRefreshToken(this.deps.reads.primary, claims.jti)
    if (!stored || stored.memberId !== claims.memberId) {
      throw new AppError('UNAUTHENTICATED', 'The refresh token is invalid')
    }
    const role = await this.deps.members.findRole(claims.memberId)
    if (!role) throw new AppError('UNAUTHENTICATED', 'The account no longer exists')

    const next = await this.deps.jwt.issue('refresh', {
      memberId: claims.memberId,
      role,
      familyId: stored.familyId,
    })
    const successor = {
      jti: next.claims.jti,
      familyId: stored.familyId,
      memberId: claims.memberId,
      expiresAt: new Date(next.claims.expiresAt),
    }
    // a token already revoked is a reuse (someone holds a stolen copy): rotate revokes its whole family instead
    const isRotated = await this.deps.refreshTokens.rotate(stored, successor, new Date())
    if (!isRotated) throw new AppError('UNAUTHENTICATED', 'The refresh token was already used; sign in again')
    return this.pairWith(claims.memberId, role, stored.familyId, next.token)
  }

  /**
   * Ends the session: its refresh family is revoked (named by the access token's `sid`, and the family of
   * `refreshToken` when one is given: tokens issued before `sid` existed), and the access token is refused from
   * now on. The family goes first (the database), so a blacklist that cannot be written (Redis down → 503) leaves
   * at most the short-lived access token usable.
   */
  async logout(
    principal: { memberId: number; jti: string; expiresAt: number; sessionId?: string },
    refreshToken?: string,
  ): Promise<void> {
    if (principal.sessionId) await this.revokeFamily(principal.memberId, principal.sessionId)
    if (refreshToken) await this.revokeFamilyOf(principal.memberId, refreshToken)
    await this.deps.tokenBlacklist.add(principal.jti, principal.expiresAt)
  }

  private async revokeFamilyOf(memberId: number, refreshToken: string): Promise<void> {
    const claims = await this.deps.jwt.verify('refresh', refreshToken)
    if (typeof claims === 'string' || claims.memberId !== memberId) return
    const stored = await findRefreshToken(this.deps.reads.primary, claims.jti)
    if (!stored || stored.memberId !== memberId) return
    await this.revokeFamily(memberId, stored.familyId)
  }

  private async revokeFamily(memberId: number, familyId: string): Promise<void> {
    await this.deps.refreshTokens.revokeFamily(memberId, familyId, new Date())
  }

  private async refuseWhenThrottled(
    throttles: readonly (readonly [AttemptLimiter, string])[],
  ): Promise<void> {
    const blocked = await Promise.all(throttles.map(([limiter, key]) => limiter.isBlocked(key)))
    if (!blocked.includes(true)) return
    // the latest end among the windows that block this attempt: coming back earlier would be refused again
    const waits = await Promise.all(
      throttles.map(([limiter, key], i) => (blocked[i] ? limiter.retryAfterSeconds(key) : 0)),
    )
    const retryAfter = Math.max(...waits)
    throw new AppError('RATE_LIMITED', 'Too many failed sign-in attempts; try again later', {
      headers: { 'retry-after': String(retryAfter) },
    })
  }

  private async issuePair(memberId: number, role: Role, familyId: string): Promise<TokenPair> {
    const refresh = await this.deps.jwt.issue('refresh', { memberId, role, familyId })
    await this.deps.refreshTokens.insert({
      jti: refresh.claims.jti,
      familyId,
      memberId,
      expiresAt: new Date(refresh.claims.expiresAt),
    })
    return this.pairWith(memberId, role, familyId, refresh.token)
  }

  /** The access token names its session (`sid` = the refresh family), so logout needs no body to end it. */
  private async pairWith(
    memberId: number,
    role: Role,
    familyId: string,
    refreshToken: string,
  ): Promise<TokenPair> {
    const access = await this.deps.jwt.issue('access', { memberId, role, familyId })
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.deps.accessTtlSeconds,
    }
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}
