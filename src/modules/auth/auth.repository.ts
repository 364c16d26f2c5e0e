import { and, eq, isNull } from 'drizzle-orm'
import { refreshTokens } from '../../../db/schema'
import type { DbOrTx } from '../../platform/db/database'
import type { QueryDb } from '../../platform/db/read-db'

export type RefreshTokenRow = typeof refreshTokens.$inferSelect

export function insertRefreshToken(
  db: DbOrTx,
  row: { jti: string; familyId: string; memberId: number; expiresAt: Date },
): void {
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
