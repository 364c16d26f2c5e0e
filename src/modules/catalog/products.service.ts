/**
 * Catalog domain verbs: create, read (with DRAFT/DELETED visibility), owner edits with optimistic concurrency,
 * soft delete, public search (offset and keyset), popular, the seller's own list. Ownership failures answer 404
 * (BOLA: never reveal another seller's product); a stale If-Match answers 412.
 */
import type { ProductStatus } from '../../../db/schema'
import { AppError } from '../../errors'
import type { Principal } from '../../http/auth'
import { type Paged, type PageRequest, toPage } from '../../http/common.model'
import type { CursorCodec } from '../../platform/cursor-codec'
import type { DatabaseHandle, Db, DbOrTx } from '../../platform/database'
import type { ReadRouter } from '../../platform/read-routing'
import type { CategoriesService } from './categories.service'
import type { CreateProduct, Product, ProductFilters, SortField, UpdateProduct } from './products.model'
import {
  findProductForUpdate,
  insertProduct,
  type ProductRow,
  ProductsRepository,
  updateProductAtVersion,
} from './products.repository'

export const POPULAR_LIMIT = 10

export type Viewer = Pick<Principal, 'memberId' | 'role'> | undefined

/** SOLD_OUT is not chosen, it follows from stock: 0 → SOLD_OUT, above 0 → ON_SALE (DRAFT stays DRAFT). */
export function statusForStock(requested: ProductStatus, stock: number): ProductStatus {
  if (requested === 'DRAFT' || requested === 'DELETED') return requested
  return stock === 0 ? 'SOLD_OUT' : 'ON_SALE'
}

export function toProduct(row: ProductRow): Product {
  return {
    ...row,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  }
}

export class ProductsService {
  private readonly repositories = new Map<Db, ProductsRepository>()

  constructor(
    private readonly database: DatabaseHandle,
    private readonly categories: CategoriesService,
    private readonly cursors: CursorCodec,
    private readonly reads: ReadRouter,
  ) {}

  createProduct(seller: Principal, input: CreateProduct): Product {
    if (input.categoryId !== undefined) this.categories.assertCategoryExists(input.categoryId)
    const id = this.database.writeTransaction((tx) =>
      insertProduct(tx, {
        sellerId: seller.memberId,
        categoryId: input.categoryId ?? null,
        name: input.name.trim(),
        description: input.description ?? null,
        price: input.price,
        stockQuantity: input.stockQuantity,
        status: statusForStock(input.status ?? 'DRAFT', input.stockQuantity),
      }),
    )
    return this.productAfterWrite(id, seller)
  }

  /** Public read; DRAFT only for its seller and admins, DELETED for nobody. */
  getProduct(id: number, viewer: Viewer): Product {
    const row = this.repositoryFor(viewer?.memberId).findProduct(id)
    if (!row || !canSee(row, viewer)) throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}`)
    return toProduct(row)
  }

  updateProduct(seller: Principal, id: number, changes: UpdateProduct, ifMatch: string | undefined): Product {
    if (changes.categoryId != null) this.categories.assertCategoryExists(changes.categoryId)
    this.database.writeTransaction((tx) => {
      const current = this.ownedProduct(tx, seller, id)
      if (ifMatch !== undefined && !etagMatches(ifMatch, current.version)) {
        throw new AppError(
          'VERSION_MISMATCH',
          `The product is at version ${current.version}; reload and retry`,
        )
      }
      const stock = changes.stockQuantity ?? current.stockQuantity
      const requested = changes.status ?? current.status
      const isApplied = updateProductAtVersion(tx, id, current.version, {
        name: changes.name?.trim(),
        description: changes.description,
        price: changes.price,
        stockQuantity: changes.stockQuantity,
        categoryId: changes.categoryId,
        status: statusForStock(requested, stock),
      })
      if (!isApplied)
        throw new AppError('VERSION_MISMATCH', 'The product changed meanwhile; reload and retry')
    })
    return this.productAfterWrite(id, seller)
  }

  deleteProduct(seller: Principal, id: number): void {
    this.database.writeTransaction((tx) => {
      const current = this.ownedProduct(tx, seller, id)
      updateProductAtVersion(tx, id, current.version, { status: 'DELETED' })
    })
    this.reads.recordWrite(seller.memberId)
  }

  searchProducts(
    filters: ProductFilters,
    sort: { field: SortField; direction: 'asc' | 'desc' },
    page: PageRequest,
    viewer?: Viewer,
  ): Paged<Product> {
    assertPriceRange(filters)
    const { rows, total } = this.repositoryFor(viewer?.memberId).searchPublic(
      filters,
      sort,
      page.page * page.size,
      page.size,
    )
    return toPage(this.toProducts(rows), page, total)
  }

  productsByCursor(filters: ProductFilters, cursor: string | undefined, limit: number, viewer?: Viewer) {
    assertPriceRange(filters)
    const after = this.cursors.startOf(cursor, filters)
    const rows = this.repositoryFor(viewer?.memberId).cursorPublic(filters, after, limit)
    const page = this.cursors.pageOf(rows, limit, filters, (row) => ({
      createdAtMs: row.createdAt,
      id: row.id,
    }))
    return { ...page, items: this.toProducts(page.items) }
  }

  popularProducts(viewer?: Viewer): Product[] {
    return this.toProducts(this.repositoryFor(viewer?.memberId).popular(POPULAR_LIMIT))
  }

  sellerProducts(seller: Principal, page: PageRequest): Paged<Product> {
    // the seller's own data: always the primary (read-your-writes without a window)
    const { rows, total } = this.repositoryOn(this.reads.primary).listBySeller(
      seller.memberId,
      page.page * page.size,
      page.size,
    )
    return toPage(this.toProducts(rows), page, total)
  }

  /** The live product `id` if `seller` owns it, for a write in progress; anything else is 404. */
  ownedProduct(tx: DbOrTx, seller: Principal, id: number) {
    const current = findProductForUpdate(tx, id)
    if (!current || current.status === 'DELETED' || current.sellerId !== seller.memberId) {
      throw new AppError('PRODUCT_NOT_FOUND', `No product ${id} of yours`)
    }
    return current
  }

  /** The product as `seller` just wrote it: records the write (read-your-writes) and reads the primary. */
  productAfterWrite(id: number, seller: Principal): Product {
    this.reads.recordWrite(seller.memberId)
    return this.getProduct(id, seller)
  }

  /** Catalog reads by `memberId` (anonymous: undefined) go where the read router sends them. */
  private repositoryFor(memberId?: number): ProductsRepository {
    return this.repositoryOn(this.reads.readerFor(memberId))
  }

  /** One repository per connection: its prepared statements belong to that connection. */
  private repositoryOn(db: Db): ProductsRepository {
    let repository = this.repositories.get(db)
    if (!repository) {
      repository = new ProductsRepository(db)
      this.repositories.set(db, repository)
    }
    return repository
  }

  private toProducts(rows: ProductRow[]): Product[] {
    return rows.map(toProduct)
  }
}

function canSee(row: ProductRow, viewer: Viewer): boolean {
  if (row.status === 'DELETED') return false
  if (row.status !== 'DRAFT') return true
  return viewer !== undefined && (viewer.role === 'ADMIN' || viewer.memberId === row.sellerId)
}

function assertPriceRange(filters: ProductFilters): void {
  if (
    filters.minPrice !== undefined &&
    filters.maxPrice !== undefined &&
    filters.minPrice > filters.maxPrice
  ) {
    throw new AppError('VALIDATION_FAILED', 'minPrice must not exceed maxPrice', {
      errors: [{ field: 'minPrice', message: 'must not exceed maxPrice' }],
    })
  }
}

export function etagOf(version: number): string {
  return `"${version}"`
}

/** If-Match: `*` or a list of entity tags; compared by version. */
function etagMatches(ifMatch: string, version: number): boolean {
  return ifMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etagOf(version))
}
