import { describe, expect, test } from 'bun:test'
import { localFileOf } from '../../src/platform/db/connections'
import { countRows, createProduct, expectUnauthenticated } from '../support/catalog-fixtures'
import { expectProblem, useTestApp } from '../support/harness'

/** Smallest real files of each accepted type: the type is sniffed from these bytes, never from the name. */
const fromBase64 = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'))
const IMAGES = {
  png: fromBase64(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  ),
  jpg: new Uint8Array([
    0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9,
  ]),
  gif: fromBase64('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'),
  webp: fromBase64('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=='),
}
const MIME = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' }
const IMAGE_MAX_BYTES = 2048

const { t, tokens } = useTestApp({ IMAGE_MAX_BYTES: String(IMAGE_MAX_BYTES) }, { tokens: true })

type Upload = { name: string; bytes: Uint8Array; type?: string }
const image = (ext: keyof typeof IMAGES, name = `photo.${ext}`): Upload => ({ name, bytes: IMAGES[ext] })

function upload(productId: number, files: Upload[], token: string | undefined = tokens.seller) {
  const form = new FormData()
  for (const f of files) form.append('files', new File([f.bytes], f.name, { type: f.type ?? 'image/png' }))
  return t.request('POST', `/api/v1/products/${productId}/images`, { token, rawBody: form })
}

const imageRowsOf = (productId: number) =>
  (
    localFileOf(t.deps.database)
      .sqlite.query('select count(*) as n from product_images where product_id = ?')
      .get(productId) as {
      n: number
    }
  ).n

describe('POST /api/v1/products/{id}/images', () => {
  describe('happy path', () => {
    test('jpg, png, gif and webp are accepted by content and listed on the product in order', async () => {
      const product = await createProduct(t, tokens.seller)

      const res = await upload(product.id, [image('png'), image('jpg'), image('gif'), image('webp')])

      expect(res.status, res.text).toBe(200)
      expect(res.body.images.map((i: { displayOrder: number }) => i.displayOrder)).toEqual([0, 1, 2, 3])
      const extensions = res.body.images.map((i: { imageUrl: string }) => i.imageUrl.split('.').pop())
      expect(extensions).toEqual(['png', 'jpg', 'gif', 'webp'])
      const read = await t.request('GET', `/api/v1/products/${product.id}`)
      expect(read.body.images).toEqual(res.body.images)
    })

    test('the image URL is served with the sniffed content type, nosniff and the exact bytes', async () => {
      const product = await createProduct(t, tokens.seller)
      // declared as text/plain and named .txt: the stored type still comes from the bytes
      const res = await upload(product.id, [{ name: 'notes.txt', bytes: IMAGES.gif, type: 'text/plain' }])
      expect(res.status, res.text).toBe(200)
      const url: string = res.body.images[0].imageUrl
      expect(url).toMatch(new RegExp(`^/uploads/products/${product.id}/[0-9a-f-]{36}\\.gif$`))

      const served = await t.app.handle(new Request(`http://localhost${url}`))

      expect(served.status).toBe(200)
      expect(served.headers.get('content-type')).toBe(MIME.gif)
      expect(served.headers.get('x-content-type-options')).toBe('nosniff')
      expect(new Uint8Array(await served.arrayBuffer())).toEqual(IMAGES.gif)
    })

    test('uploads add up to the limit of 5 images per product', async () => {
      const product = await createProduct(t, tokens.seller)
      expect((await upload(product.id, [image('png'), image('png')])).status).toBe(200)

      const res = await upload(product.id, [image('jpg'), image('gif'), image('webp')])

      expect(res.status, res.text).toBe(200)
      expect(res.body.images).toHaveLength(5)
      expect(res.body.images.map((i: { displayOrder: number }) => i.displayOrder)).toEqual([0, 1, 2, 3, 4])
    })
  })

  describe('errors', () => {
    test('a text file named .png is a 422 INVALID_FILE_TYPE and stores nothing', async () => {
      const product = await createProduct(t, tokens.seller)
      const text = new TextEncoder().encode('definitely not an image')

      const res = await upload(product.id, [
        image('png'),
        { name: 'fake.png', bytes: text, type: 'image/png' },
      ])

      expectProblem(res, 422, 'INVALID_FILE_TYPE')
      expect(imageRowsOf(product.id)).toBe(0)
    })

    test('six files in one upload are a 422 MAX_IMAGES_EXCEEDED and store nothing', async () => {
      const product = await createProduct(t, tokens.seller)

      const res = await upload(
        product.id,
        Array.from({ length: 6 }, () => image('png')),
      )

      expectProblem(res, 422, 'MAX_IMAGES_EXCEEDED')
      expect(imageRowsOf(product.id)).toBe(0)
    })

    test('existing plus new images over 5 is a 422 MAX_IMAGES_EXCEEDED and keeps the existing ones only', async () => {
      const product = await createProduct(t, tokens.seller)
      expect((await upload(product.id, [image('png'), image('png'), image('png')])).status).toBe(200)

      const res = await upload(product.id, [image('jpg'), image('jpg'), image('jpg')])

      expectProblem(res, 422, 'MAX_IMAGES_EXCEEDED')
      expect(imageRowsOf(product.id)).toBe(3)
    })

    test('a file over IMAGE_MAX_BYTES is a 413 PAYLOAD_TOO_LARGE and stores nothing', async () => {
      const product = await createProduct(t, tokens.seller)
      const big = new Uint8Array(IMAGE_MAX_BYTES + 1)
      big.set(IMAGES.png)

      const res = await upload(product.id, [{ name: 'big.png', bytes: big }])

      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE')
      expect(imageRowsOf(product.id)).toBe(0)
    })

    test('no files at all is a 400', async () => {
      const product = await createProduct(t, tokens.seller)

      expectProblem(await upload(product.id, []), 400, 'VALIDATION_FAILED')
    })

    test('JSON instead of multipart is refused without storing anything', async () => {
      const product = await createProduct(t, tokens.seller)

      const res = await t.request('POST', `/api/v1/products/${product.id}/images`, {
        token: tokens.seller,
        body: { files: ['x'] },
      })

      expect([400, 415], res.text).toContain(res.status)
      expect(imageRowsOf(product.id)).toBe(0)
    })
  })

  describe('security', () => {
    test('another seller gets 404 PRODUCT_NOT_FOUND and nothing is stored', async () => {
      const product = await createProduct(t, tokens.seller)
      const before = countRows(t, 'product_images')

      expectProblem(await upload(product.id, [image('png')], tokens.otherSeller), 404, 'PRODUCT_NOT_FOUND')

      expect(countRows(t, 'product_images')).toBe(before)
    })

    test('a buyer gets 403 and an anonymous caller 401', async () => {
      const product = await createProduct(t, tokens.seller)

      expectProblem(await upload(product.id, [image('png')], tokens.buyer), 403, 'ACCESS_DENIED')
      expectUnauthenticated(await upload(product.id, [image('png')], ''))
      expect(imageRowsOf(product.id)).toBe(0)
    })
  })
})

describe('GET /uploads/...', () => {
  test('path traversal and names the service never generates are 404, never a file', async () => {
    const product = await createProduct(t, tokens.seller)
    const res = await upload(product.id, [image('png')])
    const url: string = res.body.images[0].imageUrl
    const name = url.split('/').pop()!
    const attempts = [
      `/uploads/products/${product.id}/..%2F..%2Ftest.db`,
      `/uploads/products/${product.id}/%2e%2e%2f%2e%2e%2ftest.db`,
      `/uploads/products/..%2F..%2F/${name}`,
      `/uploads/products/%2e%2e/${name}`,
      `/uploads/products/${product.id}/..%5C..%5Ctest.db`,
      `/uploads/products/0${product.id}/${name}`,
      `/uploads/products/${product.id + 1}/${name}`,
      `/uploads/products/${product.id}/${name.toUpperCase()}`,
      `/uploads/products/${product.id}/${name}.txt`,
      '/uploads/../test.db',
      '/uploads/products/1/test.db',
    ]
    for (const path of attempts) {
      const res = await t.request('GET', path)

      expect(res.status, `${path} → ${res.text}`).toBe(404)
      expect(res.headers.get('content-type'), path).toContain('application/problem+json')
    }
  })
})
