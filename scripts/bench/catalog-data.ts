/**
 * Bench data: the demo data of SPEC §9 plus extra categories and `count` ON_SALE products, written straight
 * into a fresh SQLite file through the project's own openDatabase (migrations, foreign keys and CHECK
 * constraints apply) before the server starts. Deterministic: the same seed gives the same catalog, so runs on
 * different commits search the same rows.
 */

import { categories, products } from '../../db/schema'
import { seedDemoData } from '../../src/demo-data'
import { openDatabase } from '../../src/platform/db/database'

/** Demo seller (SPEC §9): owns every bench product. */
const SELLER_ID = 2
const EXTRA_CATEGORIES = ['Home & Kitchen', 'Sports', 'Toys', 'Beauty', 'Garden'].map((name, i) => ({
  id: 4 + i,
  name,
  displayOrder: 4 + i,
}))
const NOUNS_BY_CATEGORY: Record<number, string[]> = {
  1: ['Laptop', 'Monitor', 'Keyboard', 'Headphones', 'Tablet', 'Camera', 'Speaker', 'Charger'],
  2: ['Jacket', 'Sneakers', 'Hoodie', 'Jeans', 'Scarf', 'Dress', 'Shirt', 'Boots'],
  3: ['Cookbook', 'Novel', 'Atlas', 'Guide to Kotlin', 'Poetry Collection', 'Biography', 'Comic', 'Textbook'],
  4: ['Blender', 'Kettle', 'Pan Set', 'Knife Block', 'Toaster', 'Lamp', 'Rug', 'Mug Set'],
  5: ['Yoga Mat', 'Dumbbells', 'Tennis Racket', 'Bicycle Helmet', 'Running Belt', 'Football', 'Tent'],
  6: ['Puzzle', 'Building Blocks', 'Doll House', 'Robot Kit', 'Board Game', 'Kite', 'Train Set'],
  7: ['Face Cream', 'Shampoo', 'Perfume', 'Lipstick', 'Hair Dryer', 'Sunscreen'],
  8: ['Hose', 'Planter', 'Shovel', 'Seed Kit', 'Lawn Chair', 'Bird Feeder'],
}
const ADJECTIVES = ['Pro', 'Ultra', 'Compact', 'Classic', 'Smart', 'Eco', 'Premium', 'Lite', 'Max', 'Mini']
const USES = ['everyday use', 'professionals', 'travel', 'gifts', 'beginners', 'the whole family']
const DAY_MS = 86_400_000

/** mulberry32: a tiny deterministic PRNG */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function seedBenchCatalog(dbFile: string, count: number): Promise<void> {
  const database = openDatabase(dbFile)
  try {
    await seedDemoData({ mode: 'file', local: database, replicas: [] })
    const random = prng(20_240_601)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const categoryIds = Object.keys(NOUNS_BY_CATEGORY).map(Number)
    const now = Date.now()
    const rows = Array.from({ length: count }, (_, i) => {
      const categoryId = pick(categoryIds)
      const adjective = pick(ADJECTIVES)
      const noun = pick(NOUNS_BY_CATEGORY[categoryId]!)
      const createdAt = new Date(now - Math.floor(random() * 90 * DAY_MS))
      return {
        sellerId: SELLER_ID,
        categoryId,
        name: `${adjective} ${noun} ${100 + (i % 900)}`,
        description: `${adjective} ${noun.toLowerCase()} for ${pick(USES)}. Model ${i + 1}.`,
        price: Math.round((1_000 + random() * 1_999_000) / 100) * 100,
        stockQuantity: 1 + Math.floor(random() * 500),
        status: 'ON_SALE' as const,
        salesCount: Math.floor(random() ** 3 * 5_000),
        createdAt,
        updatedAt: createdAt,
      }
    })
    database.writeTransaction((tx) => {
      tx.insert(categories).values(EXTRA_CATEGORIES).onConflictDoNothing().run()
      // ~12 bound values per row: chunks stay far below SQLite's variable limit
      for (let i = 0; i < rows.length; i += 500)
        tx.insert(products)
          .values(rows.slice(i, i + 500))
          .run()
    })
    database.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
  } finally {
    database.close()
  }
}
