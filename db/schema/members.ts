import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { createdAt, sqlList, timestampMs, updatedAt } from './columns'

export const ROLES = ['BUYER', 'SELLER', 'ADMIN'] as const
export type Role = (typeof ROLES)[number]

export const members = sqliteTable(
  'members',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    name: text('name').notNull(),
    phone: text('phone'),
    role: text('role', { enum: ROLES }).notNull(),
    businessNumber: text('business_number'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('members_role_check', sql`${t.role} in (${sqlList(ROLES)})`),
    check('members_seller_business_number', sql`${t.role} <> 'SELLER' or ${t.businessNumber} is not null`),
    index('idx_members_created').on(t.createdAt, t.id),
  ],
)

/**
 * Refresh tokens by their `jti`. Rotation marks the old row revoked and links the new one; presenting a revoked
 * token revokes its whole family (every token descended from one login), per OAuth 2.0 Security BCP §4.14.
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    jti: text('jti').primaryKey(),
    familyId: text('family_id').notNull(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    expiresAt: timestampMs('expires_at').notNull(),
    revokedAt: timestampMs('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_refresh_tokens_family').on(t.familyId),
    index('idx_refresh_tokens_member').on(t.memberId),
  ],
)

/**
 * Logged-out access tokens by `jti` when Redis is not configured (the embedded default), so a logout survives a
 * restart. Rows are useless after `expires_at` (the token's own `exp`) and are deleted in bounded batches.
 */
export const revokedAccessTokens = sqliteTable(
  'revoked_access_tokens',
  {
    jti: text('jti').primaryKey(),
    expiresAt: timestampMs('expires_at').notNull(),
  },
  (t) => [index('idx_revoked_access_tokens_expires').on(t.expiresAt)],
)
