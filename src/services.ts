/**
 * createServices(deps): every feature service, built by hand in dependency order, so each constructor receives
 * services that already exist (no closure over one declared later). Framework-free: the routes (app.ts) and
 * tests use the same services.
 */
import type { Deps } from './deps'
import { localRefreshTokenWrites, remoteRefreshTokenWrites } from './modules/auth/auth.repository'
import { AuthService } from './modules/auth/auth.service'
import { CatalogCache } from './modules/catalog/catalog-cache'
import { CategoriesService } from './modules/catalog/categories.service'
import { ProductImagesService } from './modules/catalog/product-images.service'
import { ProductsService } from './modules/catalog/products.service'
import { FaultsService } from './modules/faults/faults.service'
import { MembersService } from './modules/members/members.service'
import { remoteOrderWrites } from './modules/orders/orders.batches'
import { OrdersService } from './modules/orders/orders.service'
import { localOrderWrites } from './modules/orders/orders.transactions'
import { OutboxService } from './modules/outbox/outbox.service'
import { localPaymentStore, remotePaymentStore } from './modules/payments/payments.repository'
import { PaymentsService } from './modules/payments/payments.service'
import { UnpaidOrderExpiry } from './modules/payments/unpaid-order-expiry'
import { RecommendationsService } from './modules/recommendations/recommendations.service'

export type Services = ReturnType<typeof createServices>

export function createServices(deps: Deps) {
  const { config, database, reads, cursors } = deps
  // the write paths of the configured driver, picked once: a local transaction or one libSQL batch per operation
  const isLocal = database.mode === 'file'
  const catalogCache = new CatalogCache(deps.cache)
  const categories = new CategoriesService(reads, catalogCache)
  const products = new ProductsService(categories, cursors, reads, catalogCache, deps.metrics.catalog)
  // a seller's new name shows on their products: the catalog forgets its cached copies
  const members = new MembersService(reads, (memberId) => products.sellerRenamed(memberId))
  const auth = new AuthService({
    refreshTokens: isLocal
      ? localRefreshTokenWrites(database.local)
      : remoteRefreshTokenWrites(database.remote.client),
    reads,
    members,
    jwt: deps.jwt,
    tokenBlacklist: deps.tokenBlacklist,
    passwordHasher: deps.passwordHasher,
    loginLimiters: deps.loginLimiters,
    accessTtlSeconds: config.jwt.accessTtlSeconds,
    signups: deps.metrics.signups,
  })
  const images = new ProductImagesService(reads, products, config.uploadDir, {
    maxBytes: config.http.imageMaxBytes,
    maxPerProduct: config.http.maxImagesPerProduct,
  })
  const orderWrites = isLocal ? localOrderWrites(database.local) : remoteOrderWrites(database.remote)
  const orders = new OrdersService(orderWrites, cursors, deps.metrics.orders, reads, catalogCache)
  const outbox = new OutboxService(reads)
  const recommendations = new RecommendationsService(deps.remote.recommendations, products, deps.logger)
  const faults = new FaultsService(deps.remote.urls)
  const paymentStore = isLocal ? localPaymentStore(database.local) : remotePaymentStore(database.remote)
  const payments = new PaymentsService(
    paymentStore,
    orders,
    deps.remote.payments,
    deps.metrics.payments,
    deps.logger,
  )
  const unpaidOrders = new UnpaidOrderExpiry(
    reads.primary,
    orders,
    deps.remote.payments,
    paymentStore,
    config.orderPaymentTimeoutMinutes * 60_000,
    deps.logger,
  )
  deps.jobs.push(unpaidOrders) // started with the event flow, stopped by closeDeps
  return {
    auth,
    members,
    categories,
    products,
    images,
    orders,
    outbox,
    recommendations,
    faults,
    payments,
    unpaidOrders,
  }
}
