import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { component } from '../../http/component.model'
import { Password } from '../../http/strict-input.model'
import { Email, PersonName, Phone } from '../members/members.model'

export const SignupBody = component(
  'SignupRequest',
  t.Object({
    email: Email,
    password: Password(8),
    name: PersonName,
    phone: t.Optional(Phone),
    // default: undefined: Elysia's UnionEnum otherwise defaults to its first value, so a missing role became BUYER
    role: t.UnionEnum(['BUYER', 'SELLER'], {
      default: undefined,
      description: 'ADMIN cannot be self-assigned',
    }),
    // ASCII with at least one letter or digit (not only hyphens)
    businessNumber: t.Optional(
      t.String({
        minLength: 1,
        maxLength: 32,
        pattern: '^[0-9A-Za-z-]*[0-9A-Za-z][0-9A-Za-z-]*$',
        description: 'Required for a SELLER (422 BUSINESS_NUMBER_REQUIRED without it)',
      }),
    ),
  }),
  {
    description: 'A new buyer or seller account',
    example: {
      email: 'jiwoo.park@example.com',
      password: 'correct horse 배터리 staple',
      name: '박지우 (Jiwoo Park)',
      phone: '010-2345-6789',
      role: 'SELLER',
      businessNumber: '220-81-62517',
    },
  },
)
export type SignupInput = typeof SignupBody.static

export const LoginBody = component(
  'LoginRequest',
  t.Object({
    email: t.String({ minLength: 1, maxLength: 254 }),
    password: Password(1),
  }),
  {
    description: 'Credentials of a member',
    example: { email: 'buyer@example.com', password: 'buyer123!' },
  },
)

const RefreshToken = t.String({
  minLength: 1,
  maxLength: 2048,
  description: 'From login or the last refresh',
})
const REFRESH_TOKEN_EXAMPLE =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzIiwidHlwIjoicmVmcmVzaCIsImp0aSI6IjlmMmMifQ.q1JkTzJ3l6cX2f8e0Wb5yQ'

export const RefreshBody = component('RefreshRequest', t.Object({ refreshToken: RefreshToken }), {
  description: 'The refresh token to rotate; it is revoked, and reusing it later revokes its whole session',
  example: { refreshToken: REFRESH_TOKEN_EXAMPLE },
})
export const LogoutBody = component('LogoutRequest', t.Object({ refreshToken: t.Optional(RefreshToken) }), {
  description: "Optional: a refresh token of the caller's whose session should end as well",
  example: { refreshToken: REFRESH_TOKEN_EXAMPLE },
})

export const TokenPair = component(
  'TokenPair',
  t.Object({
    accessToken: t.String({ description: 'JWT (HS256) for `Authorization: Bearer`' }),
    refreshToken: t.String({ description: 'Single use: POST /api/v1/auth/refresh rotates it' }),
    tokenType: t.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
  }),
  {
    description: 'An access token (15 min) and a refresh token (7 days)',
    example: {
      accessToken:
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzIiwicm9sZSI6IkJVWUVSIiwianRpIjoiN2UxYiJ9.w9aK3bq0lL2xZr5mT8c4vQ',
      refreshToken: REFRESH_TOKEN_EXAMPLE,
      tokenType: 'Bearer',
      expiresIn: 900,
    },
  },
)
export type TokenPair = typeof TokenPair.static
