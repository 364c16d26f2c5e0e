/**
 * Every read of the repositories and services runs on a libSQL server (sqld, the server Turso runs) through
 * `@libsql/client` + Drizzle's libsql driver, and answers exactly what the same read answers on a local file
 * through bun:sqlite. The same rows are written to both with plain SQL (fixed ids and timestamps, so the two
 * databases hold equal data); each read runs on both and the answers are compared, and each comparison also
 * checks the answer is not empty, so two equally empty answers never pass for two equal ones.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SqldServer, startSqld } from '../../scripts/sqld'
import { findRefreshToken } from '../../src/modules/auth/auth.repository'
import type { Principal } from '../../src/modules/auth/principal'
import { CatalogCache } from '../../src/modules/catalog/catalog-cache'
import { findCategory, listCategories } from '../../src/modules/catalog/categories.repository'
import { CategoriesService } from '../../src/modules/catalog/categories.service'
import { insertImagesWithin, ProductsRepository } from '../../src/modules/catalog/products.repository'
import { ProductsService } from '../../src/modules/catalog/products.service'
import { findMemberByEmail, findMemberById, listMembers } from '../../src/modules/members/members.repository'
import { MembersService } from '../../src/modules/members/members.service'
import {
  findOrder,
  findOrderItems,
  findOrderPart,
  findOrderParts,
  listBuyerOrders,
  listSellerParts,
} from '../../src/modules/orders/orders.repository'
import { OrdersService } from '../../src/modules/orders/orders.service'
import { localOrderWrites } from '../../src/modules/orders/orders.transactions'
import { listDeadEvents } from '../../src/modules/outbox/outbox.repository'
import { UncachedReads } from '../../src/platform/cache/two-level-cache'
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database'
import type { Awaitable, ReadDb } from '../../src/platform/db/read-db'
import { ReadRouter } from '../../src/platform/db/read-routing'
import { openRemoteDatabase, type RemoteDatabaseHandle } from '../../src/platform/db/remote-database'
import { createMetrics } from '../../src/platform/observability/metrics'
import { CursorCodec } from '../../src/platform/paging/cursor-codec'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-remote-reads-'))
let server: SqldServer
let remote: RemoteDatabaseHandle
let local: DatabaseHandle
/** The services' write handle: an empty file, so a service read that bypassed its ReadRouter would find nothing. */
let writesOnly: DatabaseHandle
const repositories = new Map<ReadDb, ProductsRepository>()

type Statement = { sql: string; args: (string | number | null)[] }
const T0 = Date.parse('2025-03-01T09:00:00.000Z')
const MINUTE = 60_000
const SELLER = 2
const OTHER_SELLER = 4
const BUYER = 3

/** Demo-like rows: 5 members, 3 categories (one nested), 14 products of every status, images, orders, tokens. */
function demoRows(): Statement[] {
  const rows: Statement[] = []
  const add = (sql: string, ...args: Statement['args']) => rows.push({ sql, args })
  const members: [number, string, string, string, string | null][] = [
    [1, 'admin@example.com', 'Admin User', 'ADMIN', null],
    [2, 'seller@example.com', 'Seller One', 'SELLER', '123-45-67890'],
    [3, 'buyer@example.com', 'Buyer One', 'BUYER', null],
    [4, 'seller2@example.com', 'Seller Two', 'SELLER', '222-22-22222'],
    [5, 'buyer2@example.com', 'Buyer Two', 'BUYER', null],
  ]
  for (const [id, email, name, role, businessNumber] of members) {
    add(
      `insert into members (id, email, password_hash, name, phone, role, business_number, created_at, updated_at)
       values (?, ?, 'not-a-hash', ?, '010-0000-0000', ?, ?, ?, ?)`,
      id,
      email,
      name,
      role,
      businessNumber,
      T0 + id * MINUTE,
      T0 + id * MINUTE,
    )
  }
  const categories: [number, string, number | null, number][] = [
    [1, 'Electronics', null, 1],
    [2, 'Laptops', 1, 1],
    [3, 'Books', null, 2],
  ]
  for (const [id, name, parentId, displayOrder] of categories) {
    add(
      `insert into categories (id, name, parent_id, display_order, created_at, updated_at) values (?, ?, ?, ?, ?, ?)`,
      id,
      name,
      parentId,
      displayOrder,
      T0,
      T0,
    )
  }
  const statuses = ['ON_SALE', 'ON_SALE', 'SOLD_OUT', 'ON_SALE', 'DRAFT', 'ON_SALE', 'DELETED']
  for (let id = 1; id <= 14; id++) {
    const status = statuses[id % statuses.length]!
    add(
      `insert into products (id, seller_id, category_id, name, description, price, stock_quantity, status,
         sales_count, version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      id % 3 === 0 ? OTHER_SELLER : SELLER,
      id % 4 === 0 ? null : (id % 3) + 1,
      id === 5 ? '100% cotton_tee' : `Product ${id}`,
      id % 2 === 0 ? null : `Description of product ${id}`,
      1_000 * ((id * 7) % 15) + 500,
      status === 'SOLD_OUT' ? 0 : 10 + id,
      status,
      (id * 37) % 50,
      1 + (id % 3),
      T0 + (id % 5 === 0 ? 3 : id) * MINUTE, // 3, 5 and 10 share created_at: the id breaks the tie
      T0 + (id + 20) * MINUTE,
    )
  }
  // product 1: three images inserted out of display order (two share display order 1); product 4: one
  add(`insert into product_images (id, product_id, image_url, content_type, size_bytes, display_order, created_at)
       values (1, 1, '/uploads/products/1/b.png', 'image/png', 200, 1, ${T0})`)
  add(`insert into product_images (id, product_id, image_url, content_type, size_bytes, display_order, created_at)
       values (2, 1, '/uploads/products/1/a.jpg', 'image/jpeg', 100, 0, ${T0})`)
  add(`insert into product_images (id, product_id, image_url, content_type, size_bytes, display_order, created_at)
       values (3, 4, '/uploads/products/4/c.webp', 'image/webp', 300, 0, ${T0})`)
  add(`insert into product_images (id, product_id, image_url, content_type, size_bytes, display_order, created_at)
       values (4, 1, '/uploads/products/1/d.gif', 'image/gif', 400, 1, ${T0})`)
  // orders 1..4 of the buyer (1 and 3 with both sellers), order 5 of the other buyer
  for (let id = 1; id <= 5; id++) {
    const createdAt = T0 + (100 + (id === 4 ? 2 : id)) * MINUTE // 2 and 4 share an instant
    const buyer = id === 5 ? 5 : BUYER
    const lines: [productId: number, sellerId: number, price: number, quantity: number][] = [
      [1, SELLER, 8_500, id],
    ]
    if (id % 2 === 1) lines.push([3, OTHER_SELLER, 6_500, 1])
    const total = lines.reduce((sum, [, , price, quantity]) => sum + price * quantity, 0)
    add(
      `insert into orders (id, order_number, buyer_id, status, total_amount, zip_code, address, address_detail,
         receiver_name, receiver_phone, created_at, updated_at) values (?, ?, ?, ?, ?, '06236', 'Seoul', ?, ?,
         '010-2222-2222', ?, ?)`,
      id,
      `ORDER${String(id).padStart(11, '0')}`,
      buyer,
      id === 2 ? 'CANCELLED' : 'PENDING',
      total,
      id === 1 ? null : `Apt ${id}`,
      `Receiver ${id}`,
      createdAt,
      createdAt + MINUTE,
    )
    for (const [productId, sellerId, price, quantity] of lines) {
      add(
        `insert into order_items (order_id, product_id, seller_id, product_name, product_price, quantity, subtotal)
         values (?, ?, ?, ?, ?, ?, ?)`,
        id,
        productId,
        sellerId,
        `Product ${productId}`,
        price,
        quantity,
        price * quantity,
      )
    }
    for (const sellerId of new Set(lines.map(([, seller]) => seller))) {
      const subtotal = lines.filter(([, s]) => s === sellerId).reduce((sum, [, , p, q]) => sum + p * q, 0)
      add(
        `insert into order_parts (order_id, seller_id, status, subtotal, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?)`,
        id,
        sellerId,
        id === 2 ? 'CANCELLED' : sellerId === OTHER_SELLER && id === 3 ? 'SHIPPED' : 'PENDING',
        subtotal,
        createdAt,
        createdAt,
      )
    }
  }
  add(
    `insert into refresh_tokens (jti, family_id, member_id, expires_at, revoked_at, created_at)
     values ('jti-1', 'family-1', 3, ?, ?, ?)`,
    T0 + 1_000 * MINUTE,
    T0 + 10 * MINUTE,
    T0,
  )
  for (let id = 1; id <= 4; id++) {
    add(
      `insert into outbox_events (id, event_id, aggregate_type, aggregate_id, event_type, payload, status,
         attempts, last_error, created_at) values (?, ?, 'order', ?, 'order.created', ?, ?, ?, ?, ?)`,
      id,
      `event-${id}`,
      String(id),
      JSON.stringify({ orderId: id }),
      id === 2 ? 'PENDING' : 'DEAD',
      id === 2 ? 0 : 5,
      id === 2 ? null : `broker refused ${id}`,
      T0 + id * MINUTE,
    )
  }
  return rows
}

beforeAll(async () => {
  server = await startSqld({ dir: join(dir, 'sqld') })
  remote = await openRemoteDatabase({ url: server.url, authToken: undefined, timeoutMs: 10_000 })
  local = openDatabase(join(dir, 'local.db'))
  writesOnly = openDatabase(join(dir, 'writes-only.db'))
  const rows = demoRows()
  await remote.client.batch(rows, 'write')
  local.sqlite.transaction(() => {
    for (const { sql, args } of rows) local.sqlite.prepare(sql).run(...args)
  })()
}, 30_000)

afterAll(async () => {
  remote?.close()
  local?.close()
  writesOnly?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The answer of `read` on the remote server, after checking it equals the answer on the local file. */
async function sameOnBoth<T>(read: (db: ReadDb) => Awaitable<T>): Promise<T> {
  const onRemote = await read(remote.db)
  const onLocal = await read(local.db)
  expect(onRemote).toEqual(onLocal)
  return onRemote
}

/** The same, with the products repository of each connection (built once per connection, as the service does). */
function sameProducts<T>(read: (products: ProductsRepository) => Awaitable<T>): Promise<T> {
  return sameOnBoth((db) => {
    let repository = repositories.get(db)
    if (!repository) {
      repository = new ProductsRepository(db)
      repositories.set(db, repository)
    }
    return read(repository)
  })
}

const newest = { field: 'createdAt', direction: 'desc' } as const

describe('catalog reads on a libSQL server', () => {
  test('product detail: the row with its images in display order and its seller and category names', async () => {
    const product = await sameProducts((products) => products.findProduct(1))

    expect(product).toMatchObject({
      id: 1,
      sellerName: 'Seller One',
      categoryName: 'Laptops',
      status: 'ON_SALE',
    })
    expect(product!.images).toEqual([
      { id: 2, imageUrl: '/uploads/products/1/a.jpg', displayOrder: 0 },
      { id: 1, imageUrl: '/uploads/products/1/b.png', displayOrder: 1 },
      { id: 4, imageUrl: '/uploads/products/1/d.gif', displayOrder: 1 },
    ])
    expect(product!.createdAt).toEqual(new Date(T0 + MINUTE))
    expect(await sameProducts((products) => products.findProduct(4))).toMatchObject({
      categoryName: null,
      images: [{ id: 3 }],
    })
    expect(await sameProducts((products) => products.findProduct(999))).toBeUndefined()
  })

  test('search: filters, an escaped keyword, every sort, offsets and totals', async () => {
    const all = await sameProducts((products) => products.searchPublic({}, newest, 0, 20))
    expect(all.total).toBe(10) // ON_SALE and SOLD_OUT only
    expect(all.rows.every((row) => row.status === 'ON_SALE' || row.status === 'SOLD_OUT')).toBe(true)

    const keyword = await sameProducts((products) =>
      products.searchPublic({ keyword: '100%' }, newest, 0, 20),
    )
    expect(keyword.rows.map((row) => row.name)).toEqual(['100% cotton_tee'])

    const filtered = await sameProducts((products) =>
      products.searchPublic(
        { categoryId: 2, sellerId: SELLER, minPrice: 1_000, maxPrice: 14_000, status: 'ON_SALE' },
        { field: 'price', direction: 'asc' },
        0,
        20,
      ),
    )
    expect(filtered.rows.length).toBeGreaterThan(0)
    expect(filtered.rows.map((row) => row.price)).toEqual(
      filtered.rows.map((row) => row.price).toSorted((a, b) => a - b),
    )

    for (const field of ['createdAt', 'price', 'salesCount'] as const) {
      for (const direction of ['asc', 'desc'] as const) {
        const page = await sameProducts((products) => products.searchPublic({}, { field, direction }, 3, 3))
        expect({ field, direction, rows: page.rows.length, total: page.total }).toEqual({
          field,
          direction,
          rows: 3,
          total: 10,
        })
      }
    }
  })

  test('cursor pages: the whole public catalog walked in pages of 3, newest first, ties broken by id', async () => {
    const seen: number[] = []
    let after: { createdAtMs: number; id: number } | undefined
    for (let page = 0; page < 10; page++) {
      const rows = await sameProducts((products) => products.cursorPublic({}, after, 3))
      seen.push(...rows.slice(0, 3).map((row) => row.id))
      if (rows.length <= 3) break
      const last = rows[2]!
      after = { createdAtMs: last.createdAt.getTime(), id: last.id }
    }
    expect(seen).toEqual([14, 12, 9, 8, 7, 10, 5, 3, 2, 1]) // 10, 5 and 3 share created_at: higher id first
    const filtered = await sameProducts((products) =>
      products.cursorPublic({ sellerId: OTHER_SELLER }, undefined, 5),
    )
    expect(filtered.map((row) => row.id)).toEqual([12, 9, 3])
  })

  test('popular: ON_SALE products by sales count', async () => {
    const popular = await sameProducts((products) => products.popular(10))
    expect(popular.length).toBeGreaterThan(0)
    expect(popular.every((row) => row.status === 'ON_SALE')).toBe(true)
    const sales = popular.map((row) => row.salesCount)
    expect(sales).toEqual(sales.toSorted((a, b) => b - a))
  })

  test("a seller's own products: every status but DELETED, with the total, and every product id", async () => {
    const first = await sameProducts((products) => products.listBySeller(SELLER, 0, 4))
    const second = await sameProducts((products) => products.listBySeller(SELLER, 4, 4))
    expect(first.rows).toHaveLength(4)
    expect(first.total).toBe(9)
    expect([...first.rows, ...second.rows].map((row) => row.status)).toContain('DRAFT')
    expect(await sameProducts((products) => products.productIdsOfSeller(OTHER_SELLER))).toEqual([3, 6, 9, 12])
  })

  test('categories: the list by display order, one by id, none for an unknown id', async () => {
    const list = await sameOnBoth((db) => listCategories(db))
    expect(list.map((row) => row.name)).toEqual(['Electronics', 'Laptops', 'Books'])
    expect(await sameOnBoth((db) => findCategory(db, 2))).toMatchObject({ name: 'Laptops', parentId: 1 })
    expect(await sameOnBoth((db) => findCategory(db, 99))).toBeUndefined()
  })
})

describe('order, member, token and outbox reads on a libSQL server', () => {
  test("orders: one order with its lines and parts; the buyer's pages; a seller's parts and pages", async () => {
    expect(await sameOnBoth((db) => findOrder(db, 3))).toMatchObject({
      buyerId: BUYER,
      addressDetail: 'Apt 3',
    })
    expect(await sameOnBoth((db) => findOrderItems(db, [1, 3]))).toHaveLength(4)
    expect(await sameOnBoth((db) => findOrderParts(db, [3]))).toMatchObject([
      { sellerId: SELLER, status: 'PENDING' },
      { sellerId: OTHER_SELLER, status: 'SHIPPED' },
    ])
    expect(await sameOnBoth((db) => findOrderItems(db, []))).toEqual([])
    expect(await sameOnBoth((db) => findOrderPart(db, 3, OTHER_SELLER))).toMatchObject({ subtotal: 6_500 })
    expect(await sameOnBoth((db) => findOrderPart(db, 2, OTHER_SELLER))).toBeUndefined()

    const buyerFirst = await sameOnBoth((db) => listBuyerOrders(db, BUYER, undefined, 2))
    expect(buyerFirst.map((row) => row.id)).toEqual([3, 4, 2]) // limit + 1; 4 and 2 share an instant
    const last = buyerFirst[1]!
    const buyerNext = await sameOnBoth((db) =>
      listBuyerOrders(db, BUYER, { createdAtMs: last.createdAt.getTime(), id: last.id }, 2),
    )
    expect(buyerNext.map((row) => row.id)).toEqual([2, 1])

    const sellerParts = await sameOnBoth((db) => listSellerParts(db, OTHER_SELLER, undefined, 5))
    expect(sellerParts.map(({ order, part }) => [order.id, part.status])).toEqual([
      [5, 'PENDING'],
      [3, 'SHIPPED'],
      [1, 'PENDING'],
    ])
    const after = { createdAtMs: sellerParts[0]!.part.createdAt.getTime(), id: sellerParts[0]!.order.id }
    expect(await sameOnBoth((db) => listSellerParts(db, OTHER_SELLER, after, 1))).toHaveLength(2)
  })

  test('members by id and by email, and the admin list with its total', async () => {
    expect(await sameOnBoth((db) => findMemberById(db, 4))).toMatchObject({
      name: 'Seller Two',
      role: 'SELLER',
    })
    expect(await sameOnBoth((db) => findMemberByEmail(db, 'buyer@example.com'))).toMatchObject({ id: BUYER })
    expect(await sameOnBoth((db) => findMemberByEmail(db, 'nobody@example.com'))).toBeUndefined()
    const page = await sameOnBoth((db) => listMembers(db, 1, 3))
    expect({ ids: page.rows.map((row) => row.id), total: page.total }).toEqual({ ids: [4, 3, 2], total: 5 })
  })

  test('a refresh token by jti, and the dead-lettered outbox events with their total', async () => {
    expect(await sameOnBoth((db) => findRefreshToken(db, 'jti-1'))).toMatchObject({
      familyId: 'family-1',
      revokedAt: new Date(T0 + 10 * MINUTE),
    })
    const dead = await sameOnBoth((db) => listDeadEvents(db, 1, 5))
    expect({ ids: dead.rows.map((row) => row.id), total: dead.total }).toEqual({ ids: [3, 4], total: 3 })
  })
})

describe('services reading through a ReadRouter whose primary is the libSQL server', () => {
  const buyer: Principal = { memberId: BUYER, role: 'BUYER', jti: 'j', expiresAt: 0 }
  const seller: Principal = { memberId: OTHER_SELLER, role: 'SELLER', jti: 'j', expiresAt: 0 }

  /** The catalog and order services of the app, reading from `db` (their write handle holds no rows). */
  function servicesOn(db: ReadDb) {
    const reads = new ReadRouter(db, [], 0)
    const cache = new CatalogCache(new UncachedReads())
    const cursors = new CursorCodec('remote-reads-cursor-secret')
    const categories = new CategoriesService(reads, cache)
    const metrics = createMetrics()
    return {
      products: new ProductsService(categories, cursors, reads, cache, metrics.catalog),
      orders: new OrdersService(localOrderWrites(writesOnly), cursors, metrics.orders, reads, cache),
      categories,
    }
  }

  const sameThroughServices = <T>(read: (services: ReturnType<typeof servicesOn>) => Promise<T>) =>
    sameOnBoth((db) => read(servicesOn(db)))

  test('product detail, a cursor walk with its signed cursors, popular, categories', async () => {
    const detail = await sameThroughServices((s) => s.products.getProduct(1, undefined))
    expect(detail.createdAt).toBe(new Date(T0 + MINUTE).toISOString())
    const first = await sameThroughServices((s) => s.products.productsByCursor({}, undefined, 5))
    expect(first.hasNext).toBe(true)
    const next = await sameThroughServices((s) => s.products.productsByCursor({}, first.nextCursor!, 5))
    expect(next.items.map((item) => item.id)).toEqual([10, 5, 3, 2, 1])
    expect(await sameThroughServices((s) => s.products.popularProducts())).not.toHaveLength(0)
    expect(await sameThroughServices((s) => s.categories.getCategory(3))).toMatchObject({ name: 'Books' })
  })

  test("a buyer's orders and one order; a seller's view of its part", async () => {
    const mine = await sameThroughServices((s) => s.orders.listMyOrders(buyer, undefined, 10))
    expect(mine.items.map((order) => order.id)).toEqual([3, 4, 2, 1])
    const order = await sameThroughServices((s) => s.orders.getOrder(buyer, 3))
    expect(order.orderItems).toHaveLength(2)
    const part = await sameThroughServices((s) => s.orders.getOrder(seller, 3))
    expect(part.orderItems.map((item) => item.sellerId)).toEqual([OTHER_SELLER])
    const sellerOrders = await sameThroughServices((s) => s.orders.listSellerOrders(seller, undefined, 10))
    expect(sellerOrders.items.map((item) => item.id)).toEqual([5, 3, 1])
  })

  test('one-statement writes (a signup, a profile edit, a category) go through the same code to the server', async () => {
    const reads = new ReadRouter(remote.db, [], 0)
    const members = new MembersService(reads)
    const categories = new CategoriesService(reads, new CatalogCache(new UncachedReads()))
    const signup = {
      email: 'remote-signup@example.com',
      passwordHash: 'x',
      name: 'Remote',
      role: 'BUYER' as const,
    }

    const member = await members.registerMember(signup)
    const renamed = await members.updateMyProfile(member.id, { name: '  Renamed ' })
    const category = await categories.createCategory(
      { memberId: 1 },
      { name: 'Remote category', parentId: 3 },
    )

    await expect(members.registerMember(signup)).rejects.toMatchObject({ code: 'EMAIL_ALREADY_EXISTS' })
    await expect(
      categories.createCategory({ memberId: 1 }, { name: 'Orphan', parentId: 999 }),
    ).rejects.toMatchObject({ code: 'CATEGORY_NOT_FOUND' })
    expect(renamed.name).toBe('Renamed')
    const onServer = await remote.client.execute({
      sql: 'select name from members where id = ?',
      args: [member.id],
    })
    expect(onServer.rows[0]!.name).toBe('Renamed')
    expect(await findCategory(remote.db, category.id)).toMatchObject({ name: 'Remote category', parentId: 3 })
  })

  test('product writes on the server: create, an edit guarded by its version, images within the limit, delete', async () => {
    const reads = new ReadRouter(remote.db, [], 0)
    const cache = new CatalogCache(new UncachedReads())
    const categories = new CategoriesService(reads, cache)
    const products = new ProductsService(
      categories,
      new CursorCodec('remote-writes-cursor-secret'),
      reads,
      cache,
      createMetrics().catalog,
    )
    const owner: Principal = { memberId: OTHER_SELLER, role: 'SELLER', jti: 'j', expiresAt: 0 }
    const image = { contentType: 'image/png', sizeBytes: 10 }

    const created = await products.createProduct(owner, {
      name: 'Remote lamp',
      price: 100,
      stockQuantity: 3,
      status: 'ON_SALE',
    })
    const edited = await products.updateProduct(owner, created.id, { price: 120 }, `"${created.version}"`)
    await expect(
      products.updateProduct(owner, created.id, { price: 130 }, `"${created.version}"`),
    ).rejects.toMatchObject({
      code: 'VERSION_MISMATCH',
    })
    const within = await insertImagesWithin(
      remote.db,
      created.id,
      [
        { ...image, imageUrl: '/a' },
        { ...image, imageUrl: '/b' },
      ],
      2,
    )
    const over = await insertImagesWithin(remote.db, created.id, [{ ...image, imageUrl: '/c' }], 2)
    await products.deleteProduct(owner, created.id)

    expect(edited.price).toBe(120)
    expect([within, over]).toEqual([true, false])
    const stored = await remote.client.execute({
      sql: 'select status, (select group_concat(display_order) from product_images where product_id = ?) as orders from products where id = ?',
      args: [created.id, created.id],
    })
    expect({ ...stored.rows[0] }).toMatchObject({ status: 'DELETED', orders: '0,1' })
  })
})
