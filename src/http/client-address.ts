/**
 * The client's address, for the per-IP limits, login throttling and the signup limit. By default it is the
 * socket's peer and `X-Forwarded-For` is ignored: anyone can send that header, so believing it would let every
 * request pick its own rate-limit bucket. With TRUSTED_PROXIES set, a request whose peer is one of those proxies
 * is attributed to the right-most address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy
 * appends the peer it saw, so entries left of the last untrusted hop are the client's own claims).
 *
 * The networks are matched by node:net's BlockList (IPv4, IPv6, and IPv4-mapped IPv6 peers such as
 * `::ffff:10.0.0.1` against IPv4 networks); parsing and checking the setting is `parseCidr` in src/config.ts.
 */
import { BlockList, isIP } from 'node:net'
import type { Cidr } from '../config'

type PeerSource = { requestIP(request: Request): { address: string } | null } | null | undefined
export type ClientAddressOf = (request: Request, server: PeerSource) => string

const UNKNOWN = 'unknown'

function peerOf(request: Request, server: PeerSource): string {
  return server?.requestIP(request)?.address ?? UNKNOWN
}

/** A network set to test addresses against; non-IP strings are never in it. */
export function trustedNetworks(cidrs: readonly Cidr[]): (address: string) => boolean {
  const networks = new BlockList()
  for (const cidr of cidrs) networks.addSubnet(cidr.address, cidr.prefix, cidr.family)
  return (address) => {
    const version = isIP(address)
    return version !== 0 && networks.check(address, version === 4 ? 'ipv4' : 'ipv6')
  }
}

/**
 * The client of a request whose socket peer is `peer`, given the X-Forwarded-For value: walks from the right,
 * skipping trusted hops. An entry that is not an IP address ends the walk at the hop that reported it, so a
 * misbehaving proxy's garbage groups its clients under that proxy instead of giving each a fresh bucket. When
 * every hop is trusted, the left-most entry is the client.
 */
export function clientBehindProxies(
  peer: string,
  forwardedFor: string | null,
  isTrusted: (address: string) => boolean,
): string {
  if (!forwardedFor || !isTrusted(peer)) return peer
  const hops = forwardedFor.split(',')
  let client = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = (hops[i] as string).trim()
    if (isIP(hop) === 0) return client
    client = hop
    if (!isTrusted(hop)) return hop
  }
  return client
}

/** The resolver for this configuration; without trusted proxies it is the socket peer and nothing else. */
export function clientAddressResolver(trustedProxies: readonly Cidr[]): ClientAddressOf {
  if (trustedProxies.length === 0) return peerOf
  const isTrusted = trustedNetworks(trustedProxies)
  return (request, server) =>
    clientBehindProxies(peerOf(request, server), request.headers.get('x-forwarded-for'), isTrusted)
}
