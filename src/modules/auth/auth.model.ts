import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { Password } from '../../http/strict-input.model'
import { Email, PersonName, Phone } from '../members/members.model'

export const SignupBody = t.Object({
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
    t.String({ minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z-]*[0-9A-Za-z][0-9A-Za-z-]*$' }),
  ),
})
export type SignupInput = typeof SignupBody.static

export const LoginBody = t.Object({
  email: t.String({ minLength: 1, maxLength: 254 }),
  password: Password(1),
})

export const RefreshBody = t.Object({ refreshToken: t.String({ minLength: 1, maxLength: 2048 }) })
export const LogoutBody = t.Object({ refreshToken: t.Optional(t.String({ minLength: 1, maxLength: 2048 })) })

export const TokenPair = t.Object({
  accessToken: t.String(),
  refreshToken: t.String(),
  tokenType: t.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
})
export type TokenPair = typeof TokenPair.static
