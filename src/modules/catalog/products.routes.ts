import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { cachedJsonResponder } from '../../http/cached-json'
import { IdParams, NoContent, problems } from '../../http/common.model'
import type { ProductImagesService } from './product-images.service'
import {
  CreateProductBody,
  IfMatchHeaders,
  ImageUploadBody,
  Product,
  ProductCursorPage,
  ProductCursorQuery,
  type ProductFilters,
  ProductList,
  ProductPage,
  ProductSearchQuery,
  SellerProductsQuery,
  type SortField,
  UpdateProductBody,
} from './products.model'
import { etagOf, type ProductsService } from './products.service'

type FilterQuery = ProductFilters & Record<string, unknown>

function filtersOf(query: FilterQuery): ProductFilters {
  const { keyword, categoryId, minPrice, maxPrice, status, sellerId } = query
  return Object.fromEntries(
    Object.entries({ keyword, categoryId, minPrice, maxPrice, status, sellerId }).filter(
      ([, v]) => v !== undefined,
    ),
  )
}

function sortOf(sort: string): { field: SortField; direction: 'asc' | 'desc' } {
  const [field, direction] = sort.split(',')
  return { field: field as SortField, direction: direction === 'asc' ? 'asc' : 'desc' }
}

const productJson = cachedJsonResponder(Product)

export function productsRoutes(
  guard: ReturnType<typeof authGuard>,
  products: ProductsService,
  images: ProductImagesService,
) {
  return new Elysia({ name: 'products-routes', prefix: '/api/v1' })
    .use(guard)
    .get(
      '/products',
      ({ query, viewer }) =>
        products.searchProducts(
          filtersOf(query),
          sortOf(query.sort),
          { page: query.page, size: query.size },
          viewer,
        ),
      {
        optionalAuth: true,
        query: ProductSearchQuery,
        response: { 200: ProductPage, ...problems(400, 401) },
        detail: {
          tags: ['Products'],
          summary: 'Search products (offset pages; never DRAFT or DELETED)',
          description:
            'Filters combine (AND): `keyword` matches the name or description, prices are inclusive bounds in ' +
            'KRW, no `status` lists ON_SALE and SOLD_OUT. Sorted by `sort` (newest first by default), then by id. ' +
            'Drafts and deleted products never appear, not even to their seller (see GET /sellers/me/products).',
        },
      },
    )
    .get(
      '/products/cursor',
      ({ query, viewer }) => products.productsByCursor(filtersOf(query), query.cursor, query.limit, viewer),
      {
        optionalAuth: true,
        query: ProductCursorQuery,
        response: { 200: ProductCursorPage, ...problems(400, 401) },
        detail: {
          tags: ['Products'],
          summary: 'Search products with keyset cursor pages (newest first)',
          description:
            'The same filters as GET /products, paged by `(createdAt, id)` descending: stable under inserts and ' +
            'as fast on page 10,000 as on page 1. The cursor is bound to the filters it was issued for; a ' +
            'tampered, truncated or foreign cursor is a 400 `INVALID_CURSOR`, never a restart at page 1.',
        },
      },
    )
    .get('/products/popular', ({ viewer }) => products.popularProducts(viewer), {
      optionalAuth: true,
      response: { 200: ProductList, ...problems(401) },
      detail: {
        tags: ['Products'],
        summary: 'Top 10 products on sale by sales count',
        description: 'Cached; ties go to the newer product. Also the fallback of the recommendations.',
      },
    })
    .get(
      '/products/:id',
      async ({ params, viewer, set }) => {
        const product = await products.getProduct(params.id, viewer)
        // the cached copy's JSON, built once (src/http/cached-json.ts)
        return productJson(product, set, { etag: etagOf(product.version) })
      },
      {
        optionalAuth: true,
        params: IdParams,
        response: { 200: Product, ...problems(400, 401, 404) },
        detail: {
          tags: ['Products'],
          summary: 'One product; its ETag is the version for If-Match',
          description:
            'Cached. A DRAFT is visible to its seller and to admins only (404 for everyone else); a DELETED ' +
            'product is a 404 for all. The `ETag` header carries `version`: send it back in `If-Match` to edit.',
        },
      },
    )
    .post(
      '/products',
      async ({ principal, body, set }) => {
        const product = await products.createProduct(principal, body)
        set.status = 201
        set.headers.location = `/api/v1/products/${product.id}`
        set.headers.etag = etagOf(product.version)
        return product
      },
      {
        auth: ['SELLER'],
        body: CreateProductBody,
        parse: 'json',
        response: { 201: Product, ...problems(400, 401, 403, 404, 413, 415) },
        detail: {
          tags: ['Products'],
          summary: 'List a new product (seller)',
          description:
            'The caller becomes its seller. A DRAFT stays unlisted until it is set ON_SALE; stock 0 makes it ' +
            'SOLD_OUT. An unknown `categoryId` is a 404 `CATEGORY_NOT_FOUND`.',
        },
      },
    )
    .patch(
      '/products/:id',
      async ({ principal, params, body, headers, set }) => {
        const product = await products.updateProduct(principal, params.id, body, headers['if-match'])
        set.headers.etag = etagOf(product.version)
        return product
      },
      {
        auth: ['SELLER'],
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateProductBody,
        parse: 'json',
        response: { 200: Product, ...problems(400, 401, 403, 404, 412, 413, 415) },
        detail: {
          tags: ['Products'],
          summary: 'Edit my product (optimistic concurrency with If-Match)',
          description:
            'Only the fields sent change. With `If-Match`, an edit based on a stale version is refused with ' +
            "412 `VERSION_MISMATCH` instead of overwriting someone else's change. Another seller's product is a " +
            '404.',
        },
      },
    )
    .delete(
      '/products/:id',
      async ({ principal, params, set }) => {
        await products.deleteProduct(principal, params.id)
        set.status = 204
      },
      {
        auth: ['SELLER'],
        params: IdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
        detail: {
          tags: ['Products'],
          summary: 'Delete my product (soft delete)',
          description:
            'The product becomes DELETED: gone from every read and search; orders keep their line snapshots.',
        },
      },
    )
    .post(
      '/products/:id/images',
      ({ principal, params, body }) => images.addImages(principal, params.id, body.files),
      {
        auth: ['SELLER'],
        params: IdParams,
        body: ImageUploadBody,
        parse: 'multipart/form-data',
        response: { 200: Product, ...problems(400, 401, 403, 404, 413, 415, 422) },
        detail: {
          tags: ['Products'],
          summary: 'Upload images of my product (jpg/png/gif/webp, ≤ 5)',
          description:
            'multipart/form-data with one or more `files`. The type is checked from the content, not the name ' +
            '(422 `INVALID_FILE_TYPE`); at most 10 MiB each and 5 per product, counting those already stored ' +
            '(422 `MAX_IMAGES_EXCEEDED`). Answers the product with its images.',
        },
      },
    )
    .get(
      '/sellers/me/products',
      ({ principal, query }) => products.sellerProducts(principal, { page: query.page, size: query.size }),
      {
        auth: ['SELLER'],
        query: SellerProductsQuery,
        response: { 200: ProductPage, ...problems(400, 401, 403) },
        detail: {
          tags: ['Products'],
          summary: 'My products in every status but DELETED (seller)',
          description: "The caller's own listing, drafts included, newest first.",
        },
      },
    )
}
