/**
 * JSON with object keys in code-point order at every depth, so two values that differ only in key order give
 * the same text. What request fingerprints (idempotency keys) and cursor filter fingerprints are hashed from.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, inner) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  )
}
