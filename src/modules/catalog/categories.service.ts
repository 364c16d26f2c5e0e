import { AppError } from '../../errors'
import type { DatabaseHandle } from '../../platform/database'
import type { ReadRouter } from '../../platform/read-routing'
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
    private readonly database: DatabaseHandle,
    private readonly reads: ReadRouter,
  ) {}

  listCategories(viewerId?: number): Category[] {
    return listCategories(this.reads.readerFor(viewerId)).map(toCategory)
  }

  getCategory(id: number, viewerId?: number): Category {
    const row = findCategory(this.reads.readerFor(viewerId), id)
    if (!row) throw new AppError('CATEGORY_NOT_FOUND')
    return toCategory(row)
  }

  /** Throws CATEGORY_NOT_FOUND unless the category exists (products and child categories point at it). */
  assertCategoryExists(id: number): void {
    if (!findCategory(this.database.db, id)) throw new AppError('CATEGORY_NOT_FOUND', `No category ${id}`)
  }

  createCategory(admin: { memberId: number }, input: CreateCategory): Category {
    const row = this.database.writeTransaction((tx) => {
      if (input.parentId !== undefined && !findCategory(tx, input.parentId)) {
        throw new AppError('CATEGORY_NOT_FOUND', `Parent category ${input.parentId} does not exist`)
      }
      return insertCategory(tx, {
        name: input.name.trim(),
        parentId: input.parentId ?? null,
        displayOrder: input.displayOrder ?? 0,
      })
    })
    this.reads.recordWrite(admin.memberId)
    return toCategory(row)
  }
}
