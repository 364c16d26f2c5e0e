/**
 * Signup, login, refresh rotation with reuse detection, logout. Passwords: argon2id (Bun.password). Login
 * answers the same 401 for an unknown email and a wrong password, and spends the same hashing time on both;
 * repeated failures per account and per IP are throttled (429).
 */
import { randomUUID } from 'node:crypto'
import type { Role } from '../../../db/schema'
import { AppError } from '../../errors'
import type { AttemptLimiter } from '../../platform/attempt-limiter'
import type { DatabaseHandle } from '../../platform/database'
import type { JwtCodec } from '../../platform/jwt'
import type { TokenBlacklist } from '../../platform/token-blacklist'
import type { Member } from '../members/members.model'
import type { MembersService } from '../members/members.service'
import type { SignupInput, TokenPair } from './auth.model'
import {
  findRefreshToken,
  insertRefreshToken,
  revokeRefreshFamily,
  revokeRefreshToken,
} from './auth.repository'

const ARGON2 = { algorithm: 'argon2id', memoryCost: 19_456, timeCost: 2 } as const

export type AuthServiceDeps = {
  database: DatabaseHandle
  members: MembersService
  jwt: JwtCodec
  tokenBlacklist: TokenBlacklist
  accountLimiter: AttemptLimiter
  ipLimiter: AttemptLimiter
  accessTtlSeconds: number
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, ARGON2)
}

export class AuthService {
  // verified against when the email is unknown, so both failures cost the same time
  private readonly decoyHash = hashPassword(randomUUID())

  constructor(private readonly deps: AuthServiceDeps) {}

  async signup(input: SignupInput): Promise<Member> {
    if (input.role === 'SELLER' && !input.businessNumber) {
      throw new AppError('BUSINESS_NUMBER_REQUIRED', 'Sellers must give a businessNumber')
    }
    return this.deps.members.registerMember({
      email: normalizeEmail(input.email),
      passwordHash: await hashPassword(input.password),
      name: input.name.trim(),
      phone: input.phone ?? null,
      role: input.role,
      businessNumber: input.businessNumber ?? null,
    })
  }

  async login(emailInput: string, password: string, clientIp: string): Promise<TokenPair> {
    const email = normalizeEmail(emailInput)
    const accountKey = `account:${email}`
    const ipKey = `ip:${clientIp}`
    await this.refuseWhenThrottled(accountKey, ipKey)

    const credentials = this.deps.members.findCredentials(email)
    const isValid = await Bun.password.verify(password, credentials?.passwordHash ?? (await this.decoyHash))
    if (!credentials || !isValid) {
      await Promise.all([
        this.deps.accountLimiter.recordFailure(accountKey),
        this.deps.ipLimiter.recordFailure(ipKey),
      ])
      throw new AppError('INVALID_CREDENTIALS', 'Email or password is incorrect')
    }
    await this.deps.accountLimiter.reset(accountKey)
    return this.issuePair(credentials.id, credentials.role, randomUUID())
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.deps.jwt.verify('refresh', refreshToken)
    if (claims === 'expired') throw new AppError('TOKEN_EXPIRED', 'The refresh token has expired')
    if (claims === 'invalid' || !claims.familyId)
      throw new AppError('UNAUTHENTICATED', 'The refresh token is invalid')
    const { database } = this.deps
    const stored = findRefreshToken(database.db, claims.jti)
    if (!stored || stored.memberId !== claims.memberId) {
      throw new AppError('UNAUTHENTICATED', 'The refresh token is invalid')
    }
    const role = this.deps.members.findRole(claims.memberId)
    if (!role) throw new AppError('UNAUTHENTICATED', 'The account no longer exists')

    const next = await this.deps.jwt.issue('refresh', {
      memberId: claims.memberId,
      role,
      familyId: stored.familyId,
    })
    const isRotated = database.writeTransaction((tx) => {
      const now = new Date()
      if (!revokeRefreshToken(tx, stored.jti, now)) {
        // reuse of a revoked token: someone holds a stolen copy, so end every session of this family
        revokeRefreshFamily(tx, stored.memberId, stored.familyId, now)
        return false
      }
      insertRefreshToken(tx, {
        jti: next.claims.jti,
        familyId: stored.familyId,
        memberId: claims.memberId,
        expiresAt: new Date(next.claims.expiresAt),
      })
      return true
    })
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
    if (principal.sessionId) this.revokeFamily(principal.memberId, principal.sessionId)
    if (refreshToken) await this.revokeFamilyOf(principal.memberId, refreshToken)
    await this.deps.tokenBlacklist.add(principal.jti, principal.expiresAt)
  }

  private async revokeFamilyOf(memberId: number, refreshToken: string): Promise<void> {
    const claims = await this.deps.jwt.verify('refresh', refreshToken)
    if (typeof claims === 'string' || claims.memberId !== memberId) return
    const stored = findRefreshToken(this.deps.database.db, claims.jti)
    if (!stored || stored.memberId !== memberId) return
    this.revokeFamily(memberId, stored.familyId)
  }

  private revokeFamily(memberId: number, familyId: string): void {
    this.deps.database.writeTransaction((tx) => revokeRefreshFamily(tx, memberId, familyId, new Date()))
  }

  private async refuseWhenThrottled(accountKey: string, ipKey: string): Promise<void> {
    const { accountLimiter, ipLimiter } = this.deps
    for (const [limiter, key] of [
      [accountLimiter, accountKey],
      [ipLimiter, ipKey],
    ] as const) {
      if (await limiter.isBlocked(key)) {
        const retryAfter = await limiter.retryAfterSeconds(key)
        throw new AppError('RATE_LIMITED', 'Too many failed sign-in attempts; try again later', {
          headers: { 'retry-after': String(retryAfter) },
        })
      }
    }
  }

  private async issuePair(memberId: number, role: Role, familyId: string): Promise<TokenPair> {
    const refresh = await this.deps.jwt.issue('refresh', { memberId, role, familyId })
    this.deps.database.writeTransaction((tx) =>
      insertRefreshToken(tx, {
        jti: refresh.claims.jti,
        familyId,
        memberId,
        expiresAt: new Date(refresh.claims.expiresAt),
      }),
    )
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
