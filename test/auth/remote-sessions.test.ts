/**
 * Refresh-token writes on a libSQL server (remoteRefreshTokenWrites in src/modules/auth/auth.repository.ts) against a
 * real sqld: a rotation revokes the presented token and stores its successor in one batch; presenting a revoked
 * token again (a reuse) revokes the whole family; two instances rotating one token at once: exactly one succeeds,
 * and the loser's reuse ends the family, as on the local file.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { type RefreshTokenRow, remoteRefreshTokenWrites } from '../../src/modules/auth/auth.repository'
import { openRemoteDatabase, type RemoteDatabaseHandle } from '../../src/platform/db/remote-database'
import { useFreshSqld } from '../support/services'

const sqld = useFreshSqld()
let instances: RemoteDatabaseHandle[] = []

beforeAll(async () => {
  instances = await Promise.all(
    [1, 2].map(() => openRemoteDatabase({ url: sqld.primaryUrl, authToken: undefined, timeoutMs: 5_000 })),
  )
  await instances[0]!.client.execute(
    "insert into members (id, email, password_hash, name, role) values (1, 'b@example.com', 'x', 'B', 'BUYER')",
  )
})
afterAll(() => {
  for (const instance of instances) instance.close()
})

const FAMILY_EXPIRY = new Date(Date.now() + 86_400_000)
const tokenOf = (familyId: string) => ({ jti: randomUUID(), familyId, memberId: 1, expiresAt: FAMILY_EXPIRY })
const stored = async (familyId: string) =>
  (
    await instances[0]!.client.execute({
      sql: 'select jti, revoked_at from refresh_tokens where family_id = ? order by created_at, jti',
      args: [familyId],
    })
  ).rows.map((row) => ({ jti: String(row.jti), isRevoked: row.revoked_at !== null }))
const rowOf = (token: ReturnType<typeof tokenOf>): RefreshTokenRow => ({
  ...token,
  revokedAt: null,
  createdAt: new Date(),
})

describe('refresh-token writes on a remote primary', () => {
  test('a rotation revokes the presented token and stores its successor; a reuse revokes the family', async () => {
    const writes = remoteRefreshTokenWrites(instances[0]!.client)
    const familyId = randomUUID()
    const first = tokenOf(familyId)
    await writes.insert(first)
    const second = tokenOf(familyId)

    const rotated = await writes.rotate(rowOf(first), second, new Date())
    const reused = await writes.rotate(rowOf(first), tokenOf(familyId), new Date())

    expect(rotated).toBe(true)
    expect(reused).toBe(false)
    const rows = await stored(familyId)
    expect(rows).toHaveLength(2) // the reuse stored no successor
    expect(rows.every((row) => row.isRevoked)).toBe(true) // and ended the family, the live successor included
  })

  test('two instances rotating one token at once: exactly one succeeds, and the family ends', async () => {
    const familyId = randomUUID()
    const first = tokenOf(familyId)
    await remoteRefreshTokenWrites(instances[0]!.client).insert(first)

    const outcomes = await Promise.all(
      instances.map((instance) =>
        remoteRefreshTokenWrites(instance.client).rotate(rowOf(first), tokenOf(familyId), new Date()),
      ),
    )

    expect(outcomes.filter(Boolean)).toHaveLength(1)
    const rows = await stored(familyId)
    expect(rows).toHaveLength(2)
    expect(rows.every((row) => row.isRevoked)).toBe(true)
  })
})
