/**
 * Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"; SPEC §6), stored in the database so
 * they survive restarts and hold across processes: scoped per member, kept 24 h, bound to a fingerprint of the
 * request. `claim` and `complete` run inside the caller's write transaction: for an order the claim, the order
 * and the stored response commit together, so two requests with one key can never both create an order (writes
 * are serialized, see database.ts). A failed request leaves no key behind (its transaction rolled back), so the
 * client may retry with the same key.
 */
import { and, eq } from 'drizzle-orm'
import { idempotencyKeys } from '../../../db/schema'
import { AppError } from '../../errors'
import type { DbOrTx } from './database'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export type StoredResponse = { status: number; body: unknown }
/** What the HTTP layer hands a service (src/http/idempotency.ts): the key and the request's fingerprint. */
export type IdempotentRequest = { key: string; fingerprint: string }
/** A key as stored: scoped to the member who sent it. */
export type Claim = IdempotentRequest & { memberId: number }

/**
 * Claims the key for this request, or answers for it: the stored response when the same request already
 * completed (replay), 409 REQUEST_IN_PROGRESS while it runs, 422 IDEMPOTENCY_KEY_MISMATCH for another request.
 */
export function claimIdempotencyKey(tx: DbOrTx, claim: Claim, now = Date.now()): StoredResponse | undefined {
  const where = and(eq(idempotencyKeys.memberId, claim.memberId), eq(idempotencyKeys.key, claim.key))
  const existing = tx.select().from(idempotencyKeys).where(where).get()
  const answer = storedAnswerOf(existing, claim, now)
  if (answer) return answer
  if (existing) tx.delete(idempotencyKeys).where(where).run()
  tx.insert(idempotencyKeys)
    .values({
      memberId: claim.memberId,
      key: claim.key,
      fingerprint: claim.fingerprint,
      state: 'IN_PROGRESS',
      createdAt: new Date(now),
      expiresAt: new Date(now + IDEMPOTENCY_TTL_MS),
    })
    .run()
  return undefined
}

/**
 * What a key already stored answers for `claim`: its response (a replay), 422 for another request, 409 while
 * the first still runs; undefined when there is no live key (absent, or past its 24 h).
 */
export function storedAnswerOf(
  existing: typeof idempotencyKeys.$inferSelect | undefined,
  claim: Claim,
  now = Date.now(),
): StoredResponse | undefined {
  if (!existing || existing.expiresAt.getTime() <= now) return undefined
  if (existing.fingerprint !== claim.fingerprint) {
    throw new AppError('IDEMPOTENCY_KEY_MISMATCH', 'This Idempotency-Key was used with a different request')
  }
  if (existing.state === 'IN_PROGRESS') {
    throw new AppError(
      'REQUEST_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed',
      {
        headers: { 'retry-after': '1' },
      },
    )
  }
  return { status: existing.responseStatus ?? 200, body: JSON.parse(existing.responseBody ?? 'null') }
}

export function completeIdempotencyKey(tx: DbOrTx, claim: Claim, response: StoredResponse): void {
  tx.update(idempotencyKeys)
    .set({ state: 'COMPLETED', responseStatus: response.status, responseBody: JSON.stringify(response.body) })
    .where(and(eq(idempotencyKeys.memberId, claim.memberId), eq(idempotencyKeys.key, claim.key)))
    .run()
}
