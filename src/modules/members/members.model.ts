import { t } from 'elysia'
import { ROLES } from '../../../db/schema'
import { Id, OffsetPage, OffsetPageQuery, Timestamp } from '../../http/common.model'
import { Text } from '../../http/strict-input.model'

export const Email = t.String({ format: 'email', minLength: 3, maxLength: 254 })
export const PersonName = Text({ maxLength: 100 })
// ASCII only, so no control or invisible character can pass; at least one digit (spaces alone are no number)
export const Phone = t.String({ minLength: 3, maxLength: 30, pattern: '^[0-9+() -]*[0-9][0-9+() -]*$' })

export const Member = t.Object({
  id: Id,
  email: t.String(),
  name: t.String(),
  phone: t.Union([t.String(), t.Null()]),
  role: t.UnionEnum(ROLES),
  businessNumber: t.Union([t.String(), t.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Member = typeof Member.static

export const UpdateMyProfileBody = t.Object(
  { name: t.Optional(PersonName), phone: t.Optional(t.Union([Phone, t.Null()])) },
  { description: 'Only name and phone can change; other fields are ignored' },
)
export type UpdateMyProfile = typeof UpdateMyProfileBody.static

export const MemberPage = OffsetPage(Member)
export const MemberListQuery = t.Object(OffsetPageQuery)
