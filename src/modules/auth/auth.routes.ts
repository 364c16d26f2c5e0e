import { Elysia, t } from 'elysia'
import type { authGuard } from '../../http/auth'
import type { ClientAddressOf } from '../../http/client-address'
import { NoContent, problems } from '../../http/common.model'
import type { KeyedRateLimit } from '../../http/rate-limit'
import { Member } from '../members/members.model'
import { LoginBody, LogoutBody, RefreshBody, SignupBody, TokenPair } from './auth.model'
import type { AuthService } from './auth.service'

export function authRoutes(
  guard: ReturnType<typeof authGuard>,
  auth: AuthService,
  limitSignupsFrom: KeyedRateLimit,
  clientAddressOf: ClientAddressOf,
) {
  return new Elysia({ name: 'auth-routes', prefix: '/api/v1/auth' })
    .use(guard)
    .post(
      '/signup',
      async ({ body, set, server, request }) => {
        // every well-formed attempt counts, a taken email too (it would otherwise probe emails for free)
        await limitSignupsFrom(clientAddressOf(request, server), set.headers as Record<string, string>)
        const member = await auth.signup(body)
        set.status = 201
        set.headers.location = '/api/v1/members/me' // the new member's own profile
        return member
      },
      {
        body: SignupBody,
        parse: 'json',
        response: { 201: Member, ...problems(400, 409, 413, 415, 422, 429) },
        detail: {
          tags: ['Auth'],
          summary: 'Sign up as a buyer or seller',
          description:
            'Limited per client address (SIGNUP_MAX_PER_IP per SIGNUP_WINDOW_SECONDS): beyond it, 429 ' +
            '`RATE_LIMITED` with `RateLimit-Policy`, `RateLimit` and `Retry-After`; admitted signups carry the ' +
            'first two. A taken email is a 409 `EMAIL_ALREADY_EXISTS`.',
        },
      },
    )
    .post(
      '/login',
      ({ body, server, request }) => auth.login(body.email, body.password, clientAddressOf(request, server)),
      {
        body: LoginBody,
        parse: 'json',
        response: { 200: TokenPair, ...problems(400, 401, 413, 415, 429) },
        detail: {
          tags: ['Auth'],
          summary: 'Sign in: an access and a refresh token',
          description:
            'A wrong email and a wrong password get the same 401 `INVALID_CREDENTIALS`. Repeated failures, per ' +
            'account and per client address, are refused with 429 for a while.',
        },
      },
    )
    .post('/refresh', ({ body }) => auth.refresh(body.refreshToken), {
      body: RefreshBody,
      parse: 'json',
      response: { 200: TokenPair, ...problems(400, 401, 413, 415) },
      detail: {
        tags: ['Auth'],
        summary: 'Rotate a refresh token into a new pair',
        description:
          'The refresh token sent is revoked and a new pair issued. Presenting a revoked refresh token again ' +
          'is treated as theft: the whole session (token family) is revoked, and the answer is 401.',
      },
    })
    .post(
      '/logout',
      async ({ principal, body, set }) => {
        await auth.logout(principal, body?.refreshToken)
        set.status = 204
      },
      {
        auth: 'any',
        body: t.Optional(LogoutBody),
        parse: 'json',
        response: { 204: NoContent, ...problems(400, 401, 413, 415, 503) },
        detail: {
          tags: ['Auth'],
          summary: 'Sign out: end this session and refuse this access token',
          description:
            'Revokes the refresh tokens of the session this access token belongs to (no body needed) and ' +
            'refuses this access token until it expires, also after a restart. A `refreshToken` in the body ' +
            'revokes its session too (it must belong to the caller).',
        },
      },
    )
}
