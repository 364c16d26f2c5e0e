import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { Id } from '../../http/common.model'
import { Text } from '../../http/strict-input.model'

export const Category = t.Object({
  id: Id,
  name: t.String(),
  parentId: t.Union([Id, t.Null()]),
  displayOrder: Type.Integer(),
})
export type Category = typeof Category.static

export const CreateCategoryBody = t.Object({
  name: Text({ maxLength: 50 }),
  parentId: t.Optional(Id),
  displayOrder: t.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
})
export type CreateCategory = typeof CreateCategoryBody.static
