import type { Client } from '@libsql/client'
import { and, eq, isNull } from 'drizzle-orm'
import { refreshTokens } from '../../../db/schema'
import type { DatabaseHandle, DbOrTx } from '../../platform/db/database'
import type { Awaitable, QueryDb } from '../../platform/db/read-db'

export type RefreshTokenRow = typeof refreshTokens.$inferSelect

export type NewRefreshToken = { jti: string; familyId: string; memberId: number; expiresAt: Date }

export function insertRefreshToken(db: DbOrTx, row: NewRefreshToken): void {
  db.insert(refreshTokens).values(row).run()
}

export async function findRefreshToken(db: QueryDb, jti: string): Promise<RefreshTokenRow | undefined> {
  return db.select().from(refreshTokens).where(eq(refreshTokens.jti, jti)).get()
}

/** Revokes one live token; false when it was already revoked (a concurrent rotation won). */
export function revokeRefreshToken(db: DbOrTx, jti: string, at: Date): boolean {
  const revoked = db
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(eq(refreshTokens.jti, jti), isNull(refreshTokens.revokedAt)))
    .returning({ jti: refreshTokens.jti })
    .all()
  return revoked.length === 1
}

/** Revokes every live token of one family; scoped to its member, so a family id alone ends no one else's session. */
export function revokeRefreshFamily(db: DbOrTx, memberId: number, familyId: string, at: Date): void {
  db.update(refreshTokens)
    .set({ revokedAt: at })
    .where(
      and(
        eq(refreshTokens.familyId, familyId),
        eq(refreshTokens.memberId, memberId),
        isNull(refreshTokens.revokedAt),
      ),
    )
    .run()
}

/**
 * The refresh-token writes of a session, each one atomic: on the local file one write transaction, on a libSQL
 * server one statement or one batch. `rotate` revokes the presented token and stores its successor together; a
 * token that was already revoked (a reuse: someone holds a stolen copy) revokes its whole family instead.
 */
export interface RefreshTokenWrites {
  insert(row: NewRefreshToken): Awaitable<void>
  rotate(current: RefreshTokenRow, next: NewRefreshToken, at: Date): Awaitable<boolean>
  revokeFamily(memberId: number, familyId: string, at: Date): Awaitable<void>
}

export function localRefreshTokenWrites(database: DatabaseHandle): RefreshTokenWrites {
  return {
    insert: (row) => database.writeTransaction((tx) => insertRefreshToken(tx, row)),
    rotate: (current, next, at) =>
      database.writeTransaction((tx) => {
        if (!revokeRefreshToken(tx, current.jti, at)) {
          revokeRefreshFamily(tx, current.memberId, current.familyId, at)
          return false
        }
        insertRefreshToken(tx, next)
        return true
      }),
    revokeFamily: (memberId, familyId, at) =>
      database.writeTransaction((tx) => revokeRefreshFamily(tx, memberId, familyId, at)),
  }
}

const INSERT_SQL =
  'insert into refresh_tokens (jti, family_id, member_id, expires_at, created_at) values (?, ?, ?, ?, ?)'
const REVOKE_FAMILY_SQL =
  'update refresh_tokens set revoked_at = ? where family_id = ? and member_id = ? and revoked_at is null'

/** On a libSQL server: the successor is inserted only if the revoke wrote a row (`where changes() = 1`). */
export function remoteRefreshTokenWrites(client: Client): RefreshTokenWrites {
  const revokeFamily = async (memberId: number, familyId: string, at: Date) => {
    await client.execute({ sql: REVOKE_FAMILY_SQL, args: [at.getTime(), familyId, memberId] })
  }
  return {
    async insert(row) {
      const args = [row.jti, row.familyId, row.memberId, row.expiresAt.getTime(), Date.now()]
      await client.execute({ sql: INSERT_SQL, args })
    },
    async rotate(current, next, at) {
      const [revoked] = await client.batch(
        [
          {
            sql: 'update refresh_tokens set revoked_at = ? where jti = ? and revoked_at is null',
            args: [at.getTime(), current.jti],
          },
          {
            sql: `${INSERT_SQL.replace(' values (?, ?, ?, ?, ?)', ' select ?, ?, ?, ?, ? where changes() = 1')}`,
            args: [next.jti, next.familyId, next.memberId, next.expiresAt.getTime(), at.getTime()],
          },
        ],
        'write',
      )
      if (revoked!.rowsAffected === 1) return true
      await revokeFamily(current.memberId, current.familyId, at)
      return false
    },
    revokeFamily,
  }
}
