/**
 * What the catalog caches and when it stops being true (SPEC §4: product detail, popular products, categories).
 * Keys read as `<prefix>cache:<name>:v<version>:<id>` in redis-cli, e.g. `marketplace:cache:product-detail:v1:42`.
 * Every write that changes what one of these reads returns calls the matching `…Changed` after its commit:
 * product edits, deletes and images, orders and cancels (stock, salesCount, status), a seller's rename (their
 * products show the name), category creation.
 */
import {
  type CacheSpec,
  cacheKey,
  cacheSpec,
  type Loader,
  type ReadCache,
} from '../../platform/cache/two-level-cache'
import type { Category } from './categories.model'
import type { Product } from './products.model'

const MINUTE = 60_000

/** `null` = no such product; remembered briefly so a scan of missing ids does not reach the database each time. */
export const PRODUCT_DETAIL = cacheSpec<Product>('product-detail', 1, 5 * MINUTE, 30_000)
export const POPULAR_PRODUCTS = cacheSpec<Product[]>('products-popular', 1, 10 * MINUTE)
export const CATEGORIES = cacheSpec<Category[]>('categories', 1, 60 * MINUTE)

const POPULAR_ID = 'top'
const CATEGORIES_ID = 'all'

export class CatalogCache {
  constructor(readonly cache: ReadCache) {
    for (const spec of [PRODUCT_DETAIL, POPULAR_PRODUCTS, CATEGORIES])
      cache.prepare?.(spec as CacheSpec<unknown>)
  }

  get isEnabled(): boolean {
    return this.cache.isEnabled
  }

  product(id: number, load: Loader<Product>): Promise<Product | null> {
    return this.cache.get(PRODUCT_DETAIL, String(id), load)
  }

  async popular(load: Loader<Product[]>): Promise<Product[]> {
    return (await this.cache.get(POPULAR_PRODUCTS, POPULAR_ID, load)) ?? []
  }

  async categories(load: Loader<Category[]>): Promise<Category[]> {
    return (await this.cache.get(CATEGORIES, CATEGORIES_ID, load)) ?? []
  }

  /** Any change to these products: their detail, and the popular list they may be in (or enter). */
  productsChanged(ids: Iterable<number>): Promise<void> {
    const keys = [...new Set(ids)].map((id) => cacheKey(PRODUCT_DETAIL, String(id)))
    keys.push(cacheKey(POPULAR_PRODUCTS, POPULAR_ID))
    return this.cache.invalidate(keys)
  }

  categoriesChanged(): Promise<void> {
    return this.cache.invalidate([cacheKey(CATEGORIES, CATEGORIES_ID)])
  }
}
