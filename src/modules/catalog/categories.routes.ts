import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { IdParams, problems } from '../../http/common.model'
import { Category, CategoryList, CreateCategoryBody } from './categories.model'
import type { CategoriesService } from './categories.service'

export function categoriesRoutes(guard: ReturnType<typeof authGuard>, categories: CategoriesService) {
  return new Elysia({ name: 'categories-routes', prefix: '/api/v1' })
    .use(guard)
    .get('/categories', ({ viewer }) => categories.listCategories(viewer?.memberId), {
      optionalAuth: true,
      response: { 200: CategoryList, ...problems(401) },
      detail: {
        tags: ['Categories'],
        summary: 'All categories by display order',
        description: 'The whole tree as a flat list (parents through `parentId`); cached for an hour.',
      },
    })
    .get('/categories/:id', ({ params, viewer }) => categories.getCategory(params.id, viewer?.memberId), {
      optionalAuth: true,
      params: IdParams,
      response: { 200: Category, ...problems(400, 401, 404) },
      detail: {
        tags: ['Categories'],
        summary: 'One category',
        description: 'A category by id; 404 `CATEGORY_NOT_FOUND` when there is none.',
      },
    })
    .post(
      '/admin/categories',
      async ({ principal, body, set }) => {
        const category = await categories.createCategory(principal, body)
        set.status = 201
        set.headers.location = `/api/v1/categories/${category.id}`
        return category
      },
      {
        auth: ['ADMIN'],
        body: CreateCategoryBody,
        parse: 'json',
        response: { 201: Category, ...problems(400, 401, 403, 404, 413, 415) },
        detail: {
          tags: ['Categories'],
          summary: 'Create a category (admin)',
          description:
            'At the top, or under `parentId` (404 `CATEGORY_NOT_FOUND` when the parent does not exist). The ' +
            'cached category list is invalidated.',
        },
      },
    )
}
