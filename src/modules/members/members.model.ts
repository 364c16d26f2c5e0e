import { t } from 'elysia'
import { ROLES } from '../../../db/schema'
import { Id, OffsetPage, OffsetPageQuery, Timestamp } from '../../http/common.model'
import { component } from '../../http/component.model'
import { Text } from '../../http/strict-input.model'

export const Email = t.String({ format: 'email', minLength: 3, maxLength: 254 })
export const PersonName = Text({ maxLength: 100 })
// ASCII only, so no control or invisible character can pass; at least one digit (spaces alone are no number)
export const Phone = t.String({ minLength: 3, maxLength: 30, pattern: '^[0-9+() -]*[0-9][0-9+() -]*$' })

export const RoleSchema = component('Role', t.UnionEnum(ROLES, { default: undefined }), {
  description: 'BUYER orders, SELLER lists products and fulfils its parts of orders, ADMIN administers',
  example: 'BUYER',
})

export const Member = component(
  'Member',
  t.Object({
    id: Id,
    email: t.String(),
    name: t.String(),
    phone: t.Union([t.String(), t.Null()]),
    role: RoleSchema,
    businessNumber: t.Union([t.String(), t.Null()], { description: 'Sellers only' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
  {
    description: 'A member (buyer, seller or admin); never carries the password hash',
    example: {
      id: 3,
      email: 'minsu.kim@example.com',
      name: '김민수 (Minsu Kim)',
      phone: '010-1234-5678',
      role: 'BUYER',
      businessNumber: null,
      createdAt: '2026-11-01T08:00:00.000Z',
      updatedAt: '2026-11-01T08:00:00.000Z',
    },
  },
)
export type Member = typeof Member.static

export const UpdateMyProfileBody = component(
  'UpdateMyProfileRequest',
  t.Object({ name: t.Optional(PersonName), phone: t.Optional(t.Union([Phone, t.Null()])) }),
  {
    description: 'Only name and phone can change (null clears the phone); other fields are ignored',
    example: { name: '김민수', phone: '010-9876-5432' },
  },
)
export type UpdateMyProfile = typeof UpdateMyProfileBody.static

export const MemberPage = OffsetPage(Member)
export const MemberListQuery = t.Object(OffsetPageQuery)
