import { AppError } from '../../errors'
import type { ReadRouter } from '../../platform/db/read-routing'
import type { CatalogCache } from './catalog-cache'
import type { Category, CreateCategory } from './categories.model'
import { type CategoryRow, findCategory, insertCategory, listCategories } from './categories.repository'

const toCategory = (row: CategoryRow): Category => ({
  id: row.id,
  name: row.name,
  parentId: row.parentId,
  displayOrder: row.displayOrder,
})

export class CategoriesService {
  constructor(
    /** reads and the one-statement writes go to `reads.primary` (a local file or a libSQL server) */
    private readonly reads: ReadRouter,
    private readonly cache: CatalogCache,
  ) {}

  /** Cached (1 h): the list is small and changes only when an admin adds a category. */
  listCategories(viewerId?: number): Promise<Category[]> {
    // cache fills read the primary: a lagging replica must not be frozen into the cache for an hour
    const db = this.cache.isEnabled ? this.reads.primary : this.reads.readerFor(viewerId)
    return this.cache.categories(async () => (await listCategories(db)).map(toCategory))
  }

  async getCategory(id: number, viewerId?: number): Promise<Category> {
    const category = (await this.listCategories(viewerId)).find((c) => c.id === id)
    if (!category) throw new AppError('CATEGORY_NOT_FOUND')
    return category
  }

  /** Throws CATEGORY_NOT_FOUND unless the category exists (products and child categories point at it). */
  async assertCategoryExists(id: number): Promise<void> {
    const category = await findCategory(this.reads.primary, id)
    if (!category) throw new AppError('CATEGORY_NOT_FOUND', `No category ${id}`)
  }

  async createCategory(admin: { memberId: number }, input: CreateCategory): Promise<Category> {
    // categories are never deleted, so a parent found here still exists when the INSERT runs
    if (input.parentId !== undefined && !(await findCategory(this.reads.primary, input.parentId))) {
      throw new AppError('CATEGORY_NOT_FOUND', `Parent category ${input.parentId} does not exist`)
    }
    const row = await insertCategory(this.reads.primary, {
      name: input.name.trim(),
      parentId: input.parentId ?? null,
      displayOrder: input.displayOrder ?? 0,
    })
    this.reads.recordWrite(admin.memberId)
    await this.cache.categoriesChanged()
    return toCategory(row)
  }
}
