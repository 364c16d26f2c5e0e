/**
 * The vocabulary of the authorization matrix: callers, outcomes, the fixture a row's `arrange` receives, and the
 * helpers that spell the SPEC §4 auth column (`-`, `U`, `B`/`S`/`A`). The rows live in
 * test/support/authorization-cases.ts (auth, members, catalog) and test/support/authorization-order-cases.ts (orders).
 */
import { DEMO, type Persona, type TestApp } from './harness'

export type Caller = 'anonymous' | Persona

export const CALLERS: readonly Caller[] = [
  'anonymous',
  'buyer',
  'otherBuyer',
  'seller',
  'otherSeller',
  'admin',
]

export type Outcome =
  | { kind: 'allowed'; status: 200 | 201 | 204 }
  | { kind: 'unauthenticated' } // 401 UNAUTHENTICATED + WWW-Authenticate: Bearer
  | { kind: 'forbidden' } // 403 ACCESS_DENIED: valid token, wrong role
  | { kind: 'hidden'; code: string } // 404: someone else's (or an invisible) resource, existence not revealed

export type MatrixRequest = {
  path: string
  body?: unknown
  rawBody?: FormData
  /** Overrides the caller's shared token (for rows that revoke the token they use). */
  token?: string
}

export type MatrixFixture = {
  t: TestApp
  tokens: Record<Persona, string>
  /** A string no other row or caller uses: emails, category names. */
  unique(prefix: string): string
  /** A new product of the demo seller (id 2), or of the other seller, through the API. */
  createSellerProduct(status: 'DRAFT' | 'ON_SALE', seller?: 'seller' | 'otherSeller'): Promise<number>
  /** Each persona's member id. */
  memberIds: Record<Persona, number>
  /** A fresh sign-in of `persona`: an access and a refresh token nobody else holds. */
  signIn(persona: Persona): Promise<{ accessToken: string; refreshToken: string }>
}

export type AuthorizationCase = {
  /** As Elysia registers it: `${method} ${path template}`. */
  route: string
  scenario: string
  expected: Record<Caller, Outcome>
  arrange(fixture: MatrixFixture, caller: Caller): Promise<MatrixRequest> | MatrixRequest
  /** Further checks of an allowed answer's body for this caller (e.g. a seller sees only its own lines). */
  verify?(body: unknown, caller: Persona, fixture: MatrixFixture): void
}

/** Credentials of every persona; the two "other" members are the ones harness `tokens()` signs up. */
export const PERSONA_CREDENTIALS: Record<Persona, { email: string; password: string }> = {
  ...DEMO,
  otherSeller: { email: 'other-seller@example.com', password: 'password123' },
  otherBuyer: { email: 'other-buyer@example.com', password: 'password123' },
}

const ROLE_OF: Record<Persona, 'BUYER' | 'SELLER' | 'ADMIN'> = {
  buyer: 'BUYER',
  otherBuyer: 'BUYER',
  seller: 'SELLER',
  otherSeller: 'SELLER',
  admin: 'ADMIN',
}

export const allowed = (status: 200 | 201 | 204): Outcome => ({ kind: 'allowed', status })
export const UNAUTHENTICATED: Outcome = { kind: 'unauthenticated' }
export const FORBIDDEN: Outcome = { kind: 'forbidden' }
export const hidden = (code: string): Outcome => ({ kind: 'hidden', code })

/** `-` in the spec's auth column: everyone, signed in or not. */
export function everyone(status: 200 | 201 | 204): Record<Caller, Outcome> {
  return Object.fromEntries(CALLERS.map((c) => [c, allowed(status)])) as Record<Caller, Outcome>
}

/** `U`, or a role list (`B`, `S`, `A`): anonymous → 401, a persona of another role → 403. */
export function signedIn(
  status: 200 | 201 | 204,
  roles: readonly ('BUYER' | 'SELLER' | 'ADMIN')[] = ['BUYER', 'SELLER', 'ADMIN'],
): Record<Caller, Outcome> {
  return Object.fromEntries(
    CALLERS.map((c) => [
      c,
      c === 'anonymous' ? UNAUTHENTICATED : roles.includes(ROLE_OF[c]) ? allowed(status) : FORBIDDEN,
    ]),
  ) as Record<Caller, Outcome>
}
