import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { MAX_PRICE, PRODUCT_STATUSES } from '../../../db/schema'
import {
  CursorPage,
  CursorPageQuery,
  Defaulted,
  Id,
  IdParam,
  ListOf,
  OffsetPage,
  OffsetPageQuery,
  Timestamp,
} from '../../http/common.model'
import { component, exampleOf } from '../../http/component.model'
import { IntegerParam, Text, TextParam } from '../../http/strict-input.model'

export const Price = Type.Integer({ minimum: 0, maximum: MAX_PRICE, description: 'KRW, no minor unit' })
export const StockQuantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 })
const ProductName = Text({ maxLength: 200 })
const Description = Text({ maxLength: 5000, isMultiline: true, isBlankAllowed: true })

export const ProductStatus = component(
  'ProductStatus',
  t.UnionEnum(PRODUCT_STATUSES, { default: undefined }),
  {
    description:
      'DRAFT (seen by its seller and admins only), ON_SALE, SOLD_OUT (stock 0; back to ON_SALE when restocked), ' +
      'DELETED (soft-deleted, gone from every read)',
    example: 'ON_SALE',
  },
)

export const ProductImage = component(
  'ProductImage',
  t.Object({
    id: Id,
    imageUrl: t.String({ description: 'Path of the image on this server, under /uploads/products/' }),
    displayOrder: Type.Integer({ minimum: 0 }),
  }),
  {
    description: 'An image of a product, in display order',
    example: {
      id: 7,
      imageUrl: '/uploads/products/1/3f2a9c1e-8b4d-4e6f-a1b2-c3d4e5f60718.webp',
      displayOrder: 0,
    },
  },
)

export const Product = component(
  'Product',
  t.Object({
    id: Id,
    sellerId: Id,
    sellerName: t.Union([t.String(), t.Null()]),
    categoryId: t.Union([Id, t.Null()]),
    categoryName: t.Union([t.String(), t.Null()]),
    name: t.String(),
    description: t.Union([t.String(), t.Null()]),
    price: Type.Integer({ description: 'KRW, no minor unit' }),
    stockQuantity: Type.Integer({ minimum: 0 }),
    status: ProductStatus,
    salesCount: Type.Integer({ minimum: 0, description: 'Units sold, over all orders not cancelled' }),
    version: Type.Integer({ minimum: 1, description: 'also sent as the ETag; send it back in If-Match' }),
    images: t.Array(ProductImage),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
  {
    description: "A product of the catalog, with its seller's and category's names and its images",
    example: {
      id: 1,
      sellerId: 2,
      sellerName: '한빛전자 (Hanbit Electronics)',
      categoryId: 1,
      categoryName: 'Electronics',
      name: '갤럭시 북4 프로 14인치 노트북 (Galaxy Book4 Pro Laptop)',
      description: '인텔 Core Ultra 7, 16GB RAM, 512GB SSD.\n무료 배송 (free shipping), 1년 무상 A/S.',
      price: 1_500_000,
      stockQuantity: 50,
      status: 'ON_SALE',
      salesCount: 12,
      version: 3,
      images: [exampleOf(ProductImage)],
      createdAt: '2026-11-20T09:30:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
    },
  },
)
export type Product = typeof Product.static

export const CreateProductBody = component(
  'CreateProductRequest',
  t.Object({
    name: ProductName,
    description: t.Optional(Description),
    price: Price,
    stockQuantity: StockQuantity,
    categoryId: t.Optional(Id),
    status: t.Optional(
      t.UnionEnum(['DRAFT', 'ON_SALE'], { default: 'DRAFT', description: 'DRAFT keeps it unlisted' }),
    ),
  }),
  {
    description: 'A new product of the calling seller; unknown fields are ignored',
    example: {
      name: '무선 블루투스 이어폰 (Wireless Earbuds)',
      description: '노이즈 캔슬링, 최대 30시간 재생 (up to 30 h of playback).',
      price: 89_000,
      stockQuantity: 120,
      categoryId: 1,
      status: 'ON_SALE',
    },
  },
)
export type CreateProduct = typeof CreateProductBody.static

export const UpdateProductBody = component(
  'UpdateProductRequest',
  t.Object({
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
  }),
  {
    description: 'Partial update: only the fields sent change (null clears); unknown fields are ignored',
    example: { price: 1_390_000, stockQuantity: 45 },
  },
)
export type UpdateProduct = typeof UpdateProductBody.static

export const IfMatchHeaders = t.Object({
  'if-match': t.Optional(
    t.String({ maxLength: 200, description: 'the ETag from GET; stale → 412', examples: ['"3"'] }),
  ),
})

export const SORT_FIELDS = ['createdAt', 'price', 'salesCount'] as const
export type SortField = (typeof SORT_FIELDS)[number]

const searchFilters = {
  // NFC like the stored names, so a decomposed "é" finds them
  keyword: t.Optional(
    TextParam({ maxLength: 100, description: 'Matches name or description', example: '노트북' }),
  ),
  categoryId: t.Optional(IdParam('Category id')),
  minPrice: t.Optional(
    IntegerParam({ minimum: 0, maximum: MAX_PRICE, description: 'Lowest price, KRW', example: 500_000 }),
  ),
  maxPrice: t.Optional(
    IntegerParam({ minimum: 0, maximum: MAX_PRICE, description: 'Highest price, KRW', example: 2_000_000 }),
  ),
  // no status filter lists ON_SALE and SOLD_OUT; without default: undefined Elysia would fill in ON_SALE
  status: t.Optional(
    t.UnionEnum(['ON_SALE', 'SOLD_OUT'], {
      default: undefined,
      description: 'Only this status (both when absent)',
    }),
  ),
  sellerId: t.Optional(IdParam('Seller (member) id')),
}

export const ProductSearchQuery = t.Object({
  ...searchFilters,
  ...OffsetPageQuery,
  sort: Defaulted(
    t.String({
      pattern: '^(createdAt|price|salesCount)(,(asc|desc))?$',
      default: 'createdAt,desc',
      description: 'Field and direction',
      examples: ['price,asc'],
    }),
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
export const ProductList = ListOf(
  Product,
  'Products in rank order (popular: the top 10 on sale by sales count)',
)

// No maxItems here: the per-product limit (MAX_IMAGES_PER_PRODUCT, counting images already stored) is the
// service's to enforce, and too many files must answer 422 MAX_IMAGES_EXCEEDED (SPEC §8), not a 400.
export const ImageUploadBody = t.Object({
  files: t.Files({
    minItems: 1,
    description: 'jpg, png, gif or webp, checked by content; at most 5 per product (MAX_IMAGES_PER_PRODUCT)',
  }),
})
