import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { Id, ListOf } from '../../http/common.model'
import { component } from '../../http/component.model'
import { Text } from '../../http/strict-input.model'

export const Category = component(
  'Category',
  t.Object({
    id: Id,
    name: t.String(),
    parentId: t.Union([Id, t.Null()], { description: 'The parent category; null at the top' }),
    displayOrder: Type.Integer({ description: 'Lists sort by it, ascending' }),
  }),
  {
    description: 'A product category; categories form a tree through parentId',
    example: { id: 4, name: '노트북 (Laptops)', parentId: 1, displayOrder: 1 },
  },
)
export type Category = typeof Category.static

export const CategoryList = ListOf(Category, 'Every category, by display order')

export const CreateCategoryBody = component(
  'CreateCategoryRequest',
  t.Object({
    name: Text({ maxLength: 50 }),
    parentId: t.Optional(Id),
    displayOrder: t.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  }),
  {
    description: 'A new category, under an existing parent or at the top',
    example: { name: '태블릿 (Tablets)', parentId: 1, displayOrder: 2 },
  },
)
export type CreateCategory = typeof CreateCategoryBody.static
