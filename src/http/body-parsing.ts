/**
 * Request bodies: JSON only (plus multipart where a route takes files), capped in size before parsing.
 * Declared Content-Length over the cap → 413 before a byte is read and before authentication (`bodySizeLimit`, a
 * parse hook registered ahead of authBeforeBody); chunked bodies are measured as they are read (`bodyParsing`).
 * Bun's own `maxRequestBodySize` (set in main.ts to the largest legal upload) is the outer bound.
 * Every string of a JSON body comes out NFC (src/http/strict-input.model.ts relies on it).
 */
import { Elysia } from 'elysia'
import { AppError } from '../errors'
import { pathOf } from './url-path'

export type BodyLimits = { jsonBytes: number; multipartBytes: number; multipartPaths: RegExp }

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i

/**
 * The declared Content-Length against the cap: 413 before a byte is read and before the route's authentication
 * (an oversized upload costs neither a token check nor a 401 that hides the real problem). Use it before
 * authBeforeBody. A parse hook, not an onRequest one: parse hooks run only for methods that carry a body, so a GET
 * pays nothing for it. It returns undefined, so the parse hooks after it still run.
 */
export function bodySizeLimit(limits: BodyLimits) {
  const limitFor = (request: Request) =>
    limits.multipartPaths.test(pathOf(request.url)) ? limits.multipartBytes : limits.jsonBytes

  return new Elysia({ name: 'body-size-limit' }).onParse({ as: 'global' }, ({ request }) => {
    const contentLength = request.headers.get('content-length')
    if (contentLength !== null && Number(contentLength) > limitFor(request)) {
      throw new AppError('PAYLOAD_TOO_LARGE', `Body exceeds ${limitFor(request)} bytes`)
    }
  })
}

/** Parses the body (JSON, or multipart on `multipartPaths`); a chunked JSON body is cut off past its cap. */
export function bodyParsing(limits: BodyLimits) {
  return new Elysia({ name: 'body-parsing' }).onParse({ as: 'global' }, async ({ request }, contentType) => {
    const type = contentType ?? ''
    if (JSON_TYPE.test(type)) {
      const bytes = await readCapped(request, limits.jsonBytes)
      if (bytes.byteLength === 0) return null // an empty JSON body: routes with a body schema reject it
      try {
        return toNfc(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)))
      } catch {
        throw new AppError('MALFORMED_REQUEST', 'The request body is not valid JSON')
      }
    }
    if (type.startsWith('multipart/form-data') && limits.multipartPaths.test(pathOf(request.url))) {
      return undefined // Elysia's own multipart parser takes it from here
    }
    if (type === '') {
      // A body without a Content-Type is refused rather than guessed at: routes that parse it as JSON
      // anyway would skip the size cap above, and the others would silently ignore it.
      if (hasBody(request))
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'A request body needs a Content-Type')
      return undefined
    }
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type.split(';')[0]} is not accepted here`)
  })
}

/**
 * Puts every string of a parsed JSON value in NFC, in place: `e` + U+0301 becomes `é`, so equal text is stored
 * equal, counts the same length and is found by the same search, however the client's keyboard composed it.
 * Done here once for the whole body, \u escapes included (normalising the raw JSON text would miss those).
 */
function toNfc(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC')
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toNfc(value[i])
  } else {
    const object = value as Record<string, unknown>
    for (const key in object) object[key] = toNfc(object[key])
  }
  return value
}

/** Reads the body, giving up with 413 as soon as it passes `limit` (never buffers more than limit + a chunk). */
async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array()
  // A declared length was checked against the limit before reading (bodySizeLimit), and Bun never delivers more than
  // it declares: read it in one native call. Only chunked bodies are counted as they stream in.
  if (request.headers.get('content-length') !== null) return new Uint8Array(await request.arrayBuffer())
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel()
      throw new AppError('PAYLOAD_TOO_LARGE', `Body exceeds ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

function hasBody(request: Request): boolean {
  return request.body !== null && request.headers.get('content-length') !== '0'
}
