// The study guide's exercise 4: many buyers order the same product at the same moment. Exactly the stock is sold,
// every other order is refused with 409 PRODUCT_OUT_OF_STOCK, no 5xx, and the stock never goes below zero.
//
// Run: k6 run -e BASE_URL=http://localhost:8080 -e BUYERS=150 -e STOCK=50 k6/concurrency-test.js
// Server settings: see k6/lib/marketplace.js (TRUSTED_PROXIES = this machine, per-member limits on, demo data).
// Here (no k6): `bun run load concurrency` runs the same scenario against two instances on one libSQL server.
import { check } from 'k6'
import exec from 'k6/execution'
import { Counter } from 'k6/metrics'
import { latencyThresholds, SLO } from './lib/journeys.js'
import { buyerOf, placeOrder, productState, productWithStock } from './lib/marketplace.js'

const BUYERS = Number(__ENV.BUYERS || 150)
const STOCK = Number(__ENV.STOCK || 50)

const sold = new Counter('orders_sold')
const refused = new Counter('orders_refused_out_of_stock')
const serverErrors = new Counter('server_errors')
/** units sold beyond the stock, or stock below zero: must stay 0 */
const oversold = new Counter('oversold')

export const options = {
  scenarios: {
    // every buyer orders once, all at once (setup has made the accounts and the product)
    flashSale: { executor: 'per-vu-iterations', vus: BUYERS, iterations: 1, maxDuration: '2m' },
  },
  thresholds: {
    oversold: ['count==0'],
    server_errors: ['count==0'],
    orders_sold: [`count==${STOCK}`],
    ...latencyThresholds(SLO.concurrency),
    checks: ['rate==1'],
  },
  setupTimeout: '5m',
}

/** @returns {{ productId: number, tokens: string[] }} */
export function setup() {
  const productId = productWithStock(STOCK)
  const tokens = []
  for (let n = 1; n <= BUYERS; n++) tokens.push(buyerOf(n))
  return { productId, tokens }
}

/** @param {{ productId: number, tokens: string[] }} data */
export default function (data) {
  const n = exec.vu.idInTest
  const res = placeOrder(n, data.tokens[n - 1] ?? '', data.productId)
  if (res.status === 201) sold.add(1)
  else if (res.status === 409) refused.add(1)
  else if (res.status >= 500) serverErrors.add(1)
  check(res, {
    'order 201 or 409 PRODUCT_OUT_OF_STOCK': (r) =>
      r.status === 201 || (r.status === 409 && r.json('code') === 'PRODUCT_OUT_OF_STOCK'),
  })
}

/** @param {{ productId: number }} data */
export function teardown(data) {
  const product = productState(data.productId)
  const ok = check(product, {
    'stock never negative': (p) => p.stockQuantity >= 0,
    'sold + remaining == initial': (p) => p.salesCount + p.stockQuantity === STOCK,
    'sold out': (p) => p.stockQuantity === 0 && p.status === 'SOLD_OUT',
  })
  if (!ok || product.salesCount > STOCK) oversold.add(Math.max(1, product.salesCount - STOCK))
}
