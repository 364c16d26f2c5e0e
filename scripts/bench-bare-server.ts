/**
 * The bare baseline of `bun run bench`: Elysia with one route answering a constant product-shaped JSON body
 * (about the size of a real product detail), no plugins, no database. The gap between this and the real
 * `GET /api/v1/products/:id` is what the service's own code costs per request.
 */
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

const port = Number(process.env.PORT ?? 8090)
new Elysia().get('/product/:id', () => CONSTANT_PRODUCT).listen({ port, hostname: '127.0.0.1' })
