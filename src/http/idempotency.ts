/**
 * The HTTP half of idempotency keys (SPEC §6), as one route option: `{ idempotent: true }` declares and validates
 * the `Idempotency-Key` header (1–255 characters), fingerprints the request (method, path and the validated body,
 * key order ignored) and hands the handler `idempotency` ({ key, fingerprint, markReplayed }) or undefined when no
 * key was sent. The service scopes the key to its caller and claims it in the same write transaction as its
 * effect (platform/db/idempotency.ts); the handler calls `markReplayed()` when the service answered from the
 * stored response, which sends `Idempotent-Replayed: true`. Orders and payments use the same option, so no route
 * rebuilds a fingerprint or spells a path by hand.
 */
import { createHash } from 'node:crypto'
import { Elysia, t } from 'elysia'
import { canonicalJson } from '../platform/codec/canonical-json'
import type { IdempotentRequest } from '../platform/db/idempotency'
import { pathOf } from './url-path'

export const IdempotencyHeaders = t.Object({
  'idempotency-key': t.Optional(
    t.String({
      minLength: 1,
      maxLength: 255,
      description:
        'IETF Idempotency-Key, scoped to the caller and kept 24 h: the same key with the same body replays the ' +
        'stored answer (`Idempotent-Replayed: true`); with another body it is a 422; while the first request ' +
        'runs, a 409',
    }),
  ),
})

/** A digest of what makes two requests "the same": method, path and the (validated) body, key order ignored. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex')
}

export type IdempotencyOption = IdempotentRequest & { markReplayed(): void }

export const idempotencyKeys = new Elysia({ name: 'idempotency-keys' }).macro({
  idempotent: {
    headers: IdempotencyHeaders,
    resolve({ headers, body, request, set }) {
      const key = headers['idempotency-key']
      if (key === undefined) return { idempotency: undefined as IdempotencyOption | undefined }
      const option: IdempotencyOption = {
        key,
        fingerprint: fingerprintOf(request.method, pathOf(request.url), body),
        markReplayed: () => {
          set.headers['idempotent-replayed'] = 'true'
        },
      }
      return { idempotency: option as IdempotencyOption | undefined }
    },
  },
})
