/**
 * Opaque keyset cursors: (created_at ms, id) plus a fingerprint of the query's filters, signed with
 * HMAC-SHA256 and base64url-encoded. A tampered, truncated or foreign cursor, or one replayed against other
 * filters, fails verification (→ 400 INVALID_CURSOR), never silently restarting at page 1.
 * Layout (41 bytes): version(1) | createdAtMs(8) | id(8) | filterFingerprint(8) | mac(16).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AppError } from '../../errors'
import { canonicalJson } from '../codec/canonical-json'

const VERSION = 1
const BODY_BYTES = 25
const MAC_BYTES = 16

export type CursorPosition = { createdAtMs: number; id: number }

export class CursorCodec {
  private readonly key: Buffer

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('cursor').digest()
  }

  encode(position: CursorPosition, filters: unknown): string {
    const body = Buffer.alloc(BODY_BYTES)
    body.writeUInt8(VERSION, 0)
    body.writeBigInt64BE(BigInt(position.createdAtMs), 1)
    body.writeBigInt64BE(BigInt(position.id), 9)
    fingerprint(filters).copy(body, 17)
    return Buffer.concat([body, this.mac(body)]).toString('base64url')
  }

  /** The position, or undefined when the cursor is not one this service issued for these filters. */
  decode(cursor: string, filters: unknown): CursorPosition | undefined {
    const bytes = Buffer.from(cursor, 'base64url')
    if (bytes.length !== BODY_BYTES + MAC_BYTES || bytes.toString('base64url') !== cursor) return undefined
    const body = bytes.subarray(0, BODY_BYTES)
    if (!timingSafeEqual(bytes.subarray(BODY_BYTES), this.mac(body))) return undefined
    if (body.readUInt8(0) !== VERSION || !body.subarray(17, 25).equals(fingerprint(filters))) return undefined
    const createdAtMs = Number(body.readBigInt64BE(1))
    const id = Number(body.readBigInt64BE(9))
    return { createdAtMs, id }
  }

  /** Where a page starts: undefined for the first page; 400 INVALID_CURSOR for a cursor not issued for `scope`. */
  startOf(cursor: string | undefined, scope: unknown): CursorPosition | undefined {
    if (cursor === undefined) return undefined
    const position = this.decode(cursor, scope)
    if (!position) {
      throw new AppError(
        'INVALID_CURSOR',
        'The cursor is malformed, tampered with, or belongs to another query',
      )
    }
    return position
  }

  /** Keeps `limit` of the `limit + 1` rows fetched; `hasNext` and the cursor after the last kept row follow. */
  pageOf<T>(rows: T[], limit: number, scope: unknown, positionOf: (row: T) => CursorPosition) {
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    const hasNext = rows.length > limit
    return { items, hasNext, nextCursor: hasNext && last ? this.encode(positionOf(last), scope) : null }
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES)
  }
}

/** Order-independent digest of the filters a cursor belongs to. */
function fingerprint(filters: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(filters)).digest().subarray(0, 8)
}
