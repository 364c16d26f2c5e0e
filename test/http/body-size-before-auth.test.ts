/**
 * A declared body over the limit is refused with 413 before anything else looks at the request: before the
 * route's authentication (no token, a bad token and a good one all get the same 413, and no token check is paid
 * for a body that will never be read) and before the parser reads a byte.
 */
import { describe, test } from 'bun:test'
import { expectProblem, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })

/** 2 MiB of JSON: over the 1 MiB JSON limit, under Bun's outer bound */
const TWO_MIB_PRODUCT = JSON.stringify({
  name: 'Too big',
  price: 1000,
  description: 'x'.repeat(2 * 1024 * 1024),
})
const declaredJson = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(TWO_MIB_PRODUCT)),
}

describe('POST /api/v1/products (seller only) with an oversized declared Content-Length', () => {
  const callers: [string, () => Record<string, string>][] = [
    ['without a token it is a 413 PAYLOAD_TOO_LARGE, not a 401', () => ({})],
    ['with a malformed token it is a 413, not a 401', () => ({ authorization: 'Bearer not-a-token' })],
    [
      'with a token of the wrong role it is a 413, not a 403',
      () => ({ authorization: `Bearer ${tokens.buyer}` }),
    ],
    ["with the seller's token it is a 413", () => ({ authorization: `Bearer ${tokens.seller}` })],
  ]

  test.each(callers)('%s', async (_, credentials) => {
    const res = await t.request('POST', '/api/v1/products', {
      rawBody: TWO_MIB_PRODUCT,
      headers: { ...declaredJson, ...credentials() },
    })

    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE')
  })
})
