/**
 * Image uploads: the type is decided by the file's bytes (file-type's magic numbers), never by its name or the
 * declared Content-Type; size and count are limited. Files are written first under fresh UUID names, then
 * recorded in one transaction that re-checks the count, so two concurrent uploads cannot exceed the limit;
 * files of a refused upload are removed.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileTypeFromBuffer } from 'file-type'
import { AppError } from '../../errors'
import type { ReadRouter } from '../../platform/db/read-routing'
import type { Principal } from '../auth/principal'
import type { Product } from './products.model'
import { insertImagesWithin } from './products.repository'
import type { ProductsService } from './products.service'

const ALLOWED = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
])

export const UPLOAD_URL_PREFIX = '/uploads'
export const IMAGE_CONTENT_TYPES: Record<string, string> = Object.fromEntries(
  [...ALLOWED].map(([mime, ext]) => [ext, mime]),
)

export type ImageLimits = { maxBytes: number; maxPerProduct: number }

export class ProductImagesService {
  constructor(
    /** the image rows go to `reads.primary` (a local file or a libSQL server) */
    private readonly reads: ReadRouter,
    private readonly products: ProductsService,
    private readonly uploadDir: string,
    private readonly limits: ImageLimits,
  ) {}

  async addImages(seller: Principal, productId: number, files: File[]): Promise<Product> {
    // ownership first, so a stranger learns nothing from our validation of their files
    await this.products.ownedProduct(seller, productId)
    if (files.length > this.limits.maxPerProduct) throw tooMany(this.limits.maxPerProduct)
    const accepted = await Promise.all(files.map((file) => this.inspect(file)))

    const folder = join(this.uploadDir, 'products', String(productId))
    await mkdir(folder, { recursive: true })
    const stored = accepted.map((a) => ({ ...a, name: `${crypto.randomUUID()}.${a.ext}` }))
    await Promise.all(stored.map((s) => Bun.write(join(folder, s.name), s.bytes)))

    try {
      const images = stored.map((s) => ({
        imageUrl: `${UPLOAD_URL_PREFIX}/products/${productId}/${s.name}`,
        contentType: s.mime,
        sizeBytes: s.bytes.byteLength,
      }))
      if (!(await insertImagesWithin(this.reads.primary, productId, images, this.limits.maxPerProduct))) {
        throw tooMany(this.limits.maxPerProduct)
      }
    } catch (error) {
      await Promise.all(stored.map((s) => rm(join(folder, s.name), { force: true })))
      throw error
    }
    return this.products.productAfterWrite(productId, seller)
  }

  private async inspect(file: File) {
    if (file.size > this.limits.maxBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `${file.name || 'A file'} is larger than ${this.limits.maxBytes} bytes`,
      )
    }
    const bytes = new Uint8Array(await file.arrayBuffer())
    const detected = await fileTypeFromBuffer(bytes)
    const ext = detected && ALLOWED.get(detected.mime)
    if (!detected || !ext) {
      throw new AppError('INVALID_FILE_TYPE', `${file.name || 'A file'} is not a jpg, png, gif or webp image`)
    }
    return { bytes, mime: detected.mime, ext }
  }
}

function tooMany(max: number): AppError {
  return new AppError('MAX_IMAGES_EXCEEDED', `A product holds at most ${max} images`)
}
