/**
 * The client address behind trusted proxies (src/http/client-address.ts) and the TRUSTED_PROXIES setting
 * (`parseCidr`, src/config.ts). What the per-IP limit makes of it on a real server: test/limits/rate-limit.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { loadConfig, parseCidr } from '../../src/config'
import { clientAddressResolver, clientBehindProxies, trustedNetworks } from '../../src/http/client-address'

describe('parseCidr', () => {
  test.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['127.0.0.1/32', { address: '127.0.0.1', prefix: 32, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['192.168.1.7', { address: '192.168.1.7', prefix: 32, family: 'ipv4' }],
    [' 172.16.0.0/12 ', { address: '172.16.0.0', prefix: 12, family: 'ipv4' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
    ['::ffff:10.0.0.0/104', { address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' }],
  ])('%s is parsed', (text, expected) => {
    expect(parseCidr(text)).toEqual(expected as ReturnType<typeof parseCidr>)
  })

  test.each([
    '',
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
    '10.0.0.0/8x',
    'fe80::1%eth0',
    '[::1]',
    'localhost',
    '10.0.0.1:8080',
  ])('%p is rejected', (text) => {
    expect(parseCidr(text)).toBeUndefined()
  })
})

describe('trustedNetworks', () => {
  const isTrusted = trustedNetworks(
    ['10.0.0.0/8', '127.0.0.1', 'fd00::/8', '2001:db8::1'].map((cidr) => parseCidr(cidr)!),
  )

  test.each([
    ['10.255.0.1', true],
    ['11.0.0.1', false],
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['::ffff:10.1.2.3', true], // an IPv4 peer seen by a dual-stack socket
    ['::ffff:127.0.0.1', true],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['2001:db8::1', true],
    ['2001:db8:0:0:0:0:0:1', true],
    ['2001:db8::2', false],
    ['unknown', false],
    ['', false],
  ])('%s trusted: %p', (address, expected) => {
    expect(isTrusted(address)).toBe(expected)
  })
})

describe('clientBehindProxies', () => {
  const isTrusted = trustedNetworks(['127.0.0.1', '10.0.0.0/8'].map((cidr) => parseCidr(cidr)!))

  test('an untrusted peer is the client, whatever X-Forwarded-For says', () => {
    expect(clientBehindProxies('203.0.113.9', '198.51.100.1', isTrusted)).toBe('203.0.113.9')
  })

  test('a trusted peer without X-Forwarded-For is the client (the proxy itself calling)', () => {
    expect(clientBehindProxies('10.0.0.2', null, isTrusted)).toBe('10.0.0.2')
    expect(clientBehindProxies('10.0.0.2', '', isTrusted)).toBe('10.0.0.2')
  })

  test('behind one trusted proxy the client is the entry it appended', () => {
    expect(clientBehindProxies('127.0.0.1', '203.0.113.7', isTrusted)).toBe('203.0.113.7')
  })

  test('trusted hops are skipped from the right', () => {
    expect(clientBehindProxies('127.0.0.1', '203.0.113.7, 10.0.0.5 ,10.1.1.1', isTrusted)).toBe('203.0.113.7')
  })

  test("entries left of the right-most untrusted address are the client's own claims and ignored", () => {
    expect(clientBehindProxies('127.0.0.1', '1.2.3.4, 5.6.7.8, 203.0.113.7', isTrusted)).toBe('203.0.113.7')
    expect(clientBehindProxies('127.0.0.1', '10.0.0.9, 203.0.113.7', isTrusted)).toBe('203.0.113.7')
  })

  test('when every hop is trusted, the left-most is the client', () => {
    expect(clientBehindProxies('127.0.0.1', '10.0.0.9, 10.0.0.8', isTrusted)).toBe('10.0.0.9')
  })

  test('an entry that is no IP address ends the walk at the hop that reported it', () => {
    expect(clientBehindProxies('127.0.0.1', 'garbage', isTrusted)).toBe('127.0.0.1')
    expect(clientBehindProxies('127.0.0.1', '203.0.113.7, unknown, 10.0.0.5', isTrusted)).toBe('10.0.0.5')
    expect(clientBehindProxies('127.0.0.1', '203.0.113.7:4711', isTrusted)).toBe('127.0.0.1')
  })

  test('IPv6 clients and proxies', () => {
    const isTrusted6 = trustedNetworks(['fd00::/8'].map((cidr) => parseCidr(cidr)!))
    expect(clientBehindProxies('fd00::1', '2001:db8::7, fd00::2', isTrusted6)).toBe('2001:db8::7')
  })
})

describe('clientAddressResolver', () => {
  const server = { requestIP: () => ({ address: '127.0.0.1' }) }
  const request = new Request('http://localhost/', { headers: { 'x-forwarded-for': '203.0.113.7' } })

  test('without trusted proxies it is the socket peer, X-Forwarded-For ignored', () => {
    expect(clientAddressResolver([])(request, server)).toBe('127.0.0.1')
  })

  test('with the peer trusted it is the forwarded client', () => {
    expect(clientAddressResolver([parseCidr('127.0.0.1/32')!])(request, server)).toBe('203.0.113.7')
  })

  test('without a server (app.handle) it is "unknown"', () => {
    expect(clientAddressResolver([])(request, null)).toBe('unknown')
  })
})

describe('TRUSTED_PROXIES configuration', () => {
  test('unset trusts no proxy; a list of CIDRs and addresses is parsed', () => {
    expect(loadConfig({}).http.trustedProxies).toEqual([])
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).http.trustedProxies).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ])
  })

  test('a bad entry stops the start, naming the variable and the entry', () => {
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.0/40' })).toThrow(
      /TRUSTED_PROXIES=.*"10\.0\.0\.0\/40"/,
    )
  })
})
