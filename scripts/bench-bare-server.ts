/**
 * The bare baselines of `bun run bench`, Elysia with no plugins:
 * - `/product/:id`: a constant product-shaped JSON body (about the size of a real product detail), no database.
 *   The gap between this and the real `GET /api/v1/products/:id` is what the service's own code costs.
 * - `/actuator/health/liveness`: the app's liveness answer, the anchor of the middleware scenarios
 *   (scripts/bench/middleware.ts): the same route in the app differs only by the app's global stack.
 * - `/map/product/:id`: the anchor of the cached detail: product JSON served from a Map filled at start, what a
 *   cache hit must do at least (a lookup and a body).
 * - `/sqlite/product/:id`: the anchor of the uncached detail: one prepared `bun:sqlite` statement reading the
 *   product with its seller's and category's names and its images (the shape of the app's one-statement read),
 *   serialized by Elysia. Both read BENCH_DB_FILE when it is set.
 */
import { Database } from 'bun:sqlite'
import { Elysia } from 'elysia'

const CONSTANT_PRODUCT = {
  id: 1,
  sellerId: 2,
  sellerName: 'Seller User',
  categoryId: 1,
  categoryName: 'Electronics',
  name: 'Laptop',
  description: 'High-performance laptop for professionals',
  price: 1_500_000,
  stockQuantity: 50,
  status: 'ON_SALE',
  salesCount: 0,
  version: 1,
  images: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

const PRODUCT_BY_ID = `
  select p.id, p.seller_id as sellerId, (select m.name from members m where m.id = p.seller_id) as sellerName,
    p.category_id as categoryId, (select c.name from categories c where c.id = p.category_id) as categoryName,
    p.name, p.description, p.price, p.stock_quantity as stockQuantity, p.status, p.sales_count as salesCount,
    p.version, (select json_group_array(json_object('id', i.id, 'imageUrl', i.image_url,
      'displayOrder', i.display_order)) from product_images i where i.product_id = p.id) as images,
    p.created_at as createdAt, p.updated_at as updatedAt
  from products p where p.id = ?`

type ProductRow = Record<string, unknown> & { images: string; createdAt: number; updatedAt: number }

const port = Number(process.env.PORT ?? 8090)
const app = new Elysia()
  .get('/product/:id', () => CONSTANT_PRODUCT)
  .get('/actuator/health/liveness', () => ({ status: 'UP' }))

const file = process.env.BENCH_DB_FILE
if (file) {
  const sqlite = new Database(file, { readonly: true })
  const byId = sqlite.prepare<ProductRow, [number]>(PRODUCT_BY_ID)
  const read = (id: number) => {
    const row = byId.get(id)
    if (!row) return undefined
    const { images, createdAt, updatedAt, ...rest } = row
    const at = (ms: number) => new Date(ms).toISOString()
    return { ...rest, images: JSON.parse(images), createdAt: at(createdAt), updatedAt: at(updatedAt) }
  }
  const cached = new Map<number, string>()
  for (let id = 1; id <= 10; id++) {
    const product = read(id)
    if (product) cached.set(id, JSON.stringify(product))
  }
  app
    .get('/map/product/:id', ({ params, set }) => {
      const body = cached.get(Number(params.id))
      if (body === undefined) return new Response('not found', { status: 404 })
      set.headers['content-type'] = 'application/json'
      return body
    })
    .get(
      '/sqlite/product/:id',
      ({ params }) => read(Number(params.id)) ?? new Response('not found', { status: 404 }),
    )
}

app.listen({ port, hostname: '127.0.0.1' })
