import { afterEach, describe, expect, setSystemTime, test } from 'bun:test'
import { JwtCodec } from '../../src/platform/auth/jwt'
import { TEST_JWT_SECRET } from '../support/harness'

const settings = {
  secret: TEST_JWT_SECRET,
  issuer: 'marketplace',
  audience: 'marketplace-api',
  accessTtlSeconds: 60,
  refreshTtlSeconds: 600,
}
afterEach(() => setSystemTime())

describe('JwtCodec verified-access-token cache', () => {
  test('a verified access token is answered from the cache with the same claims', async () => {
    const codec = new JwtCodec(settings)
    const { token, claims } = await codec.issue('access', { memberId: 7, role: 'BUYER' })
    const first = await codec.verify('access', token)
    const second = await codec.verify('access', token)
    expect(first).toEqual(expect.objectContaining({ memberId: 7, role: 'BUYER', jti: claims.jti }))
    expect(second).toBe(first)
  })

  test('a cached token still expires on time', async () => {
    const codec = new JwtCodec(settings)
    const { token } = await codec.issue('access', { memberId: 7, role: 'BUYER' })
    expect(typeof (await codec.verify('access', token))).toBe('object')
    setSystemTime(new Date(Date.now() + 61_000))
    expect(await codec.verify('access', token)).toBe('expired')
  })

  test('a refresh token is never served from the access cache, and a tampered token is never cached', async () => {
    const codec = new JwtCodec(settings)
    const { token: refresh } = await codec.issue('refresh', { memberId: 7, role: 'BUYER', familyId: 'f' })
    expect(await codec.verify('access', refresh)).toBe('invalid')
    expect(await codec.verify('access', refresh)).toBe('invalid')
    const { token } = await codec.issue('access', { memberId: 7, role: 'BUYER' })
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
    expect(await codec.verify('access', tampered)).toBe('invalid')
    expect(await codec.verify('access', tampered)).toBe('invalid')
  })
})
