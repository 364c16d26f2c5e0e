/**
 * Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"; SPEC §6), stored in the database so
 * they survive restarts and hold across processes: scoped per member, kept 24 h, bound to a fingerprint of the
 * request. The key is written in the same transaction as the order it answers, so two requests with one key can
 * never both create an order: on the local file by `localIdempotency` (writes are serialized, see database.ts),
 * on a libSQL server by the order's batch, whose key INSERT fails on the second (orders.batches.ts).
 */
import { and, eq, sql } from 'drizzle-orm'
import { idempotencyKeys } from '../../../db/schema'
import { AppError } from '../../errors'
import type { Db } from './database'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export type StoredResponse = { status: number; body: unknown }
/** What the HTTP layer hands a service (src/http/idempotency.ts): the key and the request's fingerprint. */
export type IdempotentRequest = { key: string; fingerprint: string }
/** A key as stored: scoped to the member who sent it. */
export type Claim = IdempotentRequest & { memberId: number }

/**
 * The local file's idempotency, both steps inside the caller's synchronous write (a savepoint of a commit group):
 * no other request runs in between, so a key is never seen IN_PROGRESS here and needs no claim row. First what a
 * stored key answers (an expired one is deleted); then, once the work is done, the key written once, COMPLETED,
 * with its response. A refused request (its savepoint rolled back) leaves no key, so the client may retry with it.
 * Statements prepared once on `db`'s connection, the one the writes run on.
 */
export function localIdempotency(db: Db) {
  const p = sql.placeholder
  const where = and(eq(idempotencyKeys.memberId, p('memberId')), eq(idempotencyKeys.key, p('key')))
  const find = db.select().from(idempotencyKeys).where(where).prepare()
  const remove = db.delete(idempotencyKeys).where(where).prepare()
  const insertCompleted = db
    .insert(idempotencyKeys)
    .values({
      memberId: p('memberId'),
      key: p('key'),
      fingerprint: p('fingerprint'),
      state: 'COMPLETED',
      responseStatus: p('status'),
      responseBody: p('body'),
      createdAt: p('createdAt'),
      expiresAt: p('expiresAt'),
    })
    .prepare()
  return {
    /** The stored response (a replay), 422 for another request, or undefined: go ahead. */
    answerFor(claim: Claim, now = Date.now()): StoredResponse | undefined {
      const scope = { memberId: claim.memberId, key: claim.key }
      const existing = find.get(scope)
      const answer = storedAnswerOf(existing, claim, now)
      if (!answer && existing) remove.run(scope) // past its 24 h: this request takes the key over
      return answer
    },
    store(claim: Claim, response: StoredResponse, now = Date.now()): void {
      insertCompleted.run({
        memberId: claim.memberId,
        key: claim.key,
        fingerprint: claim.fingerprint,
        status: response.status,
        body: JSON.stringify(response.body),
        createdAt: new Date(now),
        expiresAt: new Date(now + IDEMPOTENCY_TTL_MS),
      })
    },
  }
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
