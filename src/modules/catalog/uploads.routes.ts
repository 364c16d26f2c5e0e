/**
 * Serves uploaded product images from UPLOAD_DIR at /uploads/products/{productId}/{uuid}.{ext}. Only names this
 * service generates are accepted (no traversal), with the content type from the extension and nosniff.
 */
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { AppError } from '../../errors'
import { IMAGE_CONTENT_TYPES } from './product-images.service'

const IMAGE_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(jpg|png|gif|webp)$/

export function uploadedFiles(uploadDir: string) {
  return new Elysia({ name: 'uploads' }).get(
    '/uploads/products/:productId/:name',
    async ({ params }) => {
      const ext = IMAGE_NAME.exec(params.name)?.[1]
      if (!ext || !/^[1-9][0-9]{0,15}$/.test(params.productId))
        throw new AppError('NOT_FOUND', 'No such file')
      const file = Bun.file(join(uploadDir, 'products', params.productId, params.name))
      if (!(await file.exists())) throw new AppError('NOT_FOUND', 'No such file')
      return new Response(file, {
        headers: {
          'content-type': IMAGE_CONTENT_TYPES[ext] ?? 'application/octet-stream',
          'x-content-type-options': 'nosniff',
          'cache-control': 'public, max-age=31536000, immutable',
        },
      })
    },
    { detail: { hide: true } },
  )
}
