// What the load scenarios send, shared by the k6 scripts (k6/lib/marketplace.js) and by `bun run load`
// (scripts/load), so both make the same requests. Plain JavaScript, no k6 import.

/** the demo data's products (ids 1..4, all on sale): what the journeys browse and order */
export const DEMO_PRODUCTS = 4

export const SHIPPING_ADDRESS = {
  zipCode: '06236',
  address: 'Seoul',
  receiverName: 'Kim',
  receiverPhone: '010-1234-5678',
}

/**
 * The client address of user `n` (1-based), sent as X-Forwarded-For.
 * @param {number} n
 * @returns {string}
 */
export function addressOf(n) {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}
