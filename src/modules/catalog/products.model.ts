import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { MAX_PRICE, PRODUCT_STATUSES } from '../../../db/schema'
import {
  CursorPage,
  CursorPageQuery,
  Defaulted,
  Id,
  IdParam,
  OffsetPage,
  OffsetPageQuery,
  Timestamp,
} from '../../http/common.model'
import { IntegerParam, Text, TextParam } from '../../http/strict-input.model'

export const Price = Type.Integer({ minimum: 0, maximum: MAX_PRICE, description: 'KRW, no minor unit' })
export const StockQuantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 })
const ProductName = Text({ maxLength: 200 })
const Description = Text({ maxLength: 5000, isMultiline: true, isBlankAllowed: true })

export const ProductImage = t.Object({
  id: Id,
  imageUrl: t.String(),
  displayOrder: Type.Integer({ minimum: 0 }),
})

export const Product = t.Object({
  id: Id,
  sellerId: Id,
  sellerName: t.Union([t.String(), t.Null()]),
  categoryId: t.Union([Id, t.Null()]),
  categoryName: t.Union([t.String(), t.Null()]),
  name: t.String(),
  description: t.Union([t.String(), t.Null()]),
  price: Type.Integer(),
  stockQuantity: Type.Integer({ minimum: 0 }),
  status: t.UnionEnum(PRODUCT_STATUSES),
  salesCount: Type.Integer({ minimum: 0 }),
  version: Type.Integer({ minimum: 1, description: 'also sent as the ETag; send it back in If-Match' }),
  images: t.Array(ProductImage),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Product = typeof Product.static

export const CreateProductBody = t.Object({
  name: ProductName,
  description: t.Optional(Description),
  price: Price,
  stockQuantity: StockQuantity,
  categoryId: t.Optional(Id),
  status: t.Optional(t.UnionEnum(['DRAFT', 'ON_SALE'], { default: 'DRAFT' })),
})
export type CreateProduct = typeof CreateProductBody.static

export const UpdateProductBody = t.Object(
  {
    name: t.Optional(ProductName),
    description: t.Optional(t.Union([Description, t.Null()])),
    price: t.Optional(Price),
    stockQuantity: t.Optional(StockQuantity),
    categoryId: t.Optional(t.Union([Id, t.Null()])),
    // default: undefined: Elysia's UnionEnum otherwise defaults to its first value, so every PATCH without a
    // status silently set DRAFT and unlisted the product
    status: t.Optional(
      t.UnionEnum(['DRAFT', 'ON_SALE'], { default: undefined, description: 'SOLD_OUT follows from stock 0' }),
    ),
  },
  { description: 'Partial update; unknown fields are ignored' },
)
export type UpdateProduct = typeof UpdateProductBody.static

export const IfMatchHeaders = t.Object({
  'if-match': t.Optional(t.String({ maxLength: 200, description: 'the ETag from GET; stale → 412' })),
})

export const SORT_FIELDS = ['createdAt', 'price', 'salesCount'] as const
export type SortField = (typeof SORT_FIELDS)[number]

const searchFilters = {
  // NFC like the stored names, so a decomposed "é" finds them
  keyword: t.Optional(TextParam({ maxLength: 100, description: 'Matches name or description' })),
  categoryId: t.Optional(IdParam('Category id')),
  minPrice: t.Optional(IntegerParam({ minimum: 0, maximum: MAX_PRICE, description: 'Lowest price, KRW' })),
  maxPrice: t.Optional(IntegerParam({ minimum: 0, maximum: MAX_PRICE, description: 'Highest price, KRW' })),
  // no status filter lists ON_SALE and SOLD_OUT; without default: undefined Elysia would fill in ON_SALE
  status: t.Optional(t.UnionEnum(['ON_SALE', 'SOLD_OUT'], { default: undefined })),
  sellerId: t.Optional(IdParam('Seller (member) id')),
}

export const ProductSearchQuery = t.Object({
  ...searchFilters,
  ...OffsetPageQuery,
  sort: Defaulted(
    t.String({ pattern: '^(createdAt|price|salesCount)(,(asc|desc))?$', default: 'createdAt,desc' }),
  ),
})
export const ProductCursorQuery = t.Object({ ...searchFilters, ...CursorPageQuery })
export const SellerProductsQuery = t.Object(OffsetPageQuery)

export type ProductFilters = {
  keyword?: string
  categoryId?: number
  minPrice?: number
  maxPrice?: number
  status?: 'ON_SALE' | 'SOLD_OUT'
  sellerId?: number
}

export const ProductPage = OffsetPage(Product)
export const ProductCursorPage = CursorPage(Product)

// No maxItems here: the per-product limit (MAX_IMAGES_PER_PRODUCT, counting images already stored) is the
// service's to enforce, and too many files must answer 422 MAX_IMAGES_EXCEEDED (SPEC §8), not a 400.
export const ImageUploadBody = t.Object({
  files: t.Files({
    minItems: 1,
    description: 'jpg, png, gif or webp, checked by content; at most 5 per product (MAX_IMAGES_PER_PRODUCT)',
  }),
})
