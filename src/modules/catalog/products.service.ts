/**
 * Catalog domain verbs: create, read (with DRAFT/DELETED visibility), owner edits with optimistic concurrency,
 * soft delete, public search (offset and keyset), popular, the seller's own list. Ownership failures answer 404
 * (BOLA: never reveal another seller's product); a stale If-Match answers 412. Detail and popular reads are
 * cached (catalog-cache.ts); every write here invalidates after its commit, before it answers.
 */
import type { ProductStatus } from '../../../db/schema'
import { AppError } from '../../errors'
import type { ReadDb } from '../../platform/db/read-db'
import type { ReadRouter } from '../../platform/db/read-routing'
import type { CatalogMetrics } from '../../platform/observability/metrics'
import type { CursorCodec } from '../../platform/paging/cursor-codec'
import { type CursorPaged, type Paged, type PageRequest, toPage } from '../../platform/paging/pages'
import type { Principal } from '../auth/principal'
import type { CatalogCache } from './catalog-cache'
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
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export class ProductsService {
  private readonly repositories = new Map<ReadDb, ProductsRepository>()

  constructor(
    private readonly categories: CategoriesService,
    private readonly cursors: CursorCodec,
    private readonly reads: ReadRouter,
    private readonly cache: CatalogCache,
    private readonly metrics: CatalogMetrics,
  ) {}

  async createProduct(seller: Principal, input: CreateProduct): Promise<Product> {
    if (input.categoryId !== undefined) await this.categories.assertCategoryExists(input.categoryId)
    const id = await insertProduct(this.reads.primary, {
      sellerId: seller.memberId,
      categoryId: input.categoryId ?? null,
      name: input.name.trim(),
      description: input.description ?? null,
      price: input.price,
      stockQuantity: input.stockQuantity,
      status: statusForStock(input.status ?? 'DRAFT', input.stockQuantity),
    })
    this.metrics.created.inc()
    return this.productAfterWrite(id, seller)
  }

  /** Public read, cached for every viewer alike; DRAFT only for its seller and admins, DELETED for nobody. */
  async getProduct(id: number, viewer: Viewer): Promise<Product> {
    const product = await this.cache.product(id, async () => {
      const row = await this.loaderRepository(viewer).findProduct(id)
      return row ? toProduct(row) : null
    })
    if (!product || !canSee(product, viewer)) throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}`)
    this.metrics.views.inc()
    return product
  }

  /** The listed (ON_SALE or SOLD_OUT) products among `ids`, in their order; the others are left out. From the cache. */
  async listedProducts(ids: readonly number[], viewer: Viewer): Promise<Product[]> {
    const found = await Promise.all(
      ids.map((id) =>
        this.cache.product(id, async () => {
          const row = await this.loaderRepository(viewer).findProduct(id)
          return row ? toProduct(row) : null
        }),
      ),
    )
    return found.filter(
      (p): p is Product => p !== null && (p.status === 'ON_SALE' || p.status === 'SOLD_OUT'),
    )
  }

  async updateProduct(
    seller: Principal,
    id: number,
    changes: UpdateProduct,
    ifMatch: string | undefined,
  ): Promise<Product> {
    if (changes.categoryId != null) await this.categories.assertCategoryExists(changes.categoryId)
    // read, then one UPDATE guarded by the version read: atomic on either driver (optimistic concurrency)
    const current = await this.ownedProduct(seller, id)
    if (ifMatch !== undefined && !etagMatches(ifMatch, current.version)) {
      throw new AppError('VERSION_MISMATCH', `The product is at version ${current.version}; reload and retry`)
    }
    const stock = changes.stockQuantity ?? current.stockQuantity
    const requested = changes.status ?? current.status
    const isApplied = await updateProductAtVersion(this.reads.primary, id, current.version, {
      name: changes.name?.trim(),
      description: changes.description,
      price: changes.price,
      stockQuantity: changes.stockQuantity,
      categoryId: changes.categoryId,
      status: statusForStock(requested, stock),
    })
    if (!isApplied) throw new AppError('VERSION_MISMATCH', 'The product changed meanwhile; reload and retry')
    return this.productAfterWrite(id, seller)
  }

  async deleteProduct(seller: Principal, id: number): Promise<void> {
    // guarded by the version read, like an edit; a sale or an edit in between bumps it: read again and retry
    for (let isDeleted = false; !isDeleted; ) {
      const current = await this.ownedProduct(seller, id)
      isDeleted = await updateProductAtVersion(this.reads.primary, id, current.version, { status: 'DELETED' })
    }
    this.reads.recordWrite(seller.memberId)
    await this.cache.productsChanged([id])
  }

  /** A seller's name is part of each of their products (`sellerName`): drop every one of them from the cache. */
  async sellerRenamed(sellerId: number): Promise<void> {
    await this.cache.productsChanged(await this.repositoryOn(this.reads.primary).productIdsOfSeller(sellerId))
  }

  async searchProducts(
    filters: ProductFilters,
    sort: { field: SortField; direction: 'asc' | 'desc' },
    page: PageRequest,
    viewer?: Viewer,
  ): Promise<Paged<Product>> {
    assertPriceRange(filters)
    this.metrics.searches.inc()
    const { rows, total } = await this.repositoryFor(viewer?.memberId).searchPublic(
      filters,
      sort,
      page.page * page.size,
      page.size,
    )
    return toPage(this.toProducts(rows), page, total)
  }

  async productsByCursor(
    filters: ProductFilters,
    cursor: string | undefined,
    limit: number,
    viewer?: Viewer,
  ): Promise<CursorPaged<Product>> {
    assertPriceRange(filters)
    const after = this.cursors.startOf(cursor, filters)
    this.metrics.searches.inc()
    const rows = await this.repositoryFor(viewer?.memberId).cursorPublic(filters, after, limit)
    const page = this.cursors.pageOf(rows, limit, filters, (row) => ({
      createdAtMs: row.createdAt.getTime(),
      id: row.id,
    }))
    return { ...page, items: this.toProducts(page.items) }
  }

  popularProducts(viewer?: Viewer): Promise<Product[]> {
    return this.cache.popular(async () =>
      this.toProducts(await this.loaderRepository(viewer).popular(POPULAR_LIMIT)),
    )
  }

  async sellerProducts(seller: Principal, page: PageRequest): Promise<Paged<Product>> {
    // the seller's own data: always the primary (read-your-writes without a window)
    const { rows, total } = await this.repositoryOn(this.reads.primary).listBySeller(
      seller.memberId,
      page.page * page.size,
      page.size,
    )
    return toPage(this.toProducts(rows), page, total)
  }

  /** The live product `id` if `seller` owns it, for a write in progress; anything else is 404. */
  async ownedProduct(seller: Principal, id: number) {
    const current = await findProductForUpdate(this.reads.primary, id)
    if (!current || current.status === 'DELETED' || current.sellerId !== seller.memberId) {
      throw new AppError('PRODUCT_NOT_FOUND', `No product ${id} of yours`)
    }
    return current
  }

  /**
   * After `seller` wrote product `id`: records the write (read-your-writes), invalidates the cache, and answers
   * the product as the primary has it now.
   */
  async productAfterWrite(id: number, seller: Principal): Promise<Product> {
    this.reads.recordWrite(seller.memberId)
    await this.cache.productsChanged([id])
    const row = await this.repositoryOn(this.reads.primary).findProduct(id)
    if (!row || !canSee(row, seller)) throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}`)
    return toProduct(row)
  }

  /**
   * Where a cached read loads from: the primary, since a fill from a lagging replica would be served to everyone
   * for the cache's whole TTL. With the cache off, where the read router sends the viewer.
   */
  private loaderRepository(viewer: Viewer): ProductsRepository {
    return this.cache.isEnabled ? this.repositoryOn(this.reads.primary) : this.repositoryFor(viewer?.memberId)
  }

  /** Catalog reads by `memberId` (anonymous: undefined) go where the read router sends them. */
  private repositoryFor(memberId?: number): ProductsRepository {
    return this.repositoryOn(this.reads.readerFor(memberId))
  }

  /** One repository per connection: its prepared statements belong to that connection. */
  private repositoryOn(db: ReadDb): ProductsRepository {
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

function canSee(row: Pick<ProductRow, 'status' | 'sellerId'>, viewer: Viewer): boolean {
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
