/**
 * OpenAPI 3 at /v3/api-docs, generated from the routes' own schemas (@elysiajs/openapi), and Swagger UI at
 * /swagger-ui with its assets served by this app from swagger-ui-dist, so the docs work with the network off.
 * The assets are imported as files, which `bun build --compile` embeds into the single binary.
 */
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { AppError } from '../errors'

const ASSETS: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: swaggerBundle, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: swaggerCss, type: 'text/css; charset=utf-8' },
}

export function openApiDocs(info: { version: string }) {
  return new Elysia({ name: 'openapi-docs' })
    .use(
      openapi({
        path: '/swagger-ui',
        specPath: '/v3/api-docs',
        provider: 'swagger-ui',
        swagger: {
          theme: '/swagger-ui/assets/swagger-ui.css',
          cdn: '/swagger-ui/assets/swagger-ui-bundle.js',
          autoDarkMode: false,
          persistAuthorization: true,
        },
        exclude: { paths: [/^\/swagger-ui/, /^\/uploads/] },
        documentation: {
          info: {
            title: 'Marketplace API',
            version: info.version,
            description:
              'High-traffic marketplace backend (Bun + Elysia + Drizzle). Errors are RFC 9457 problem details ' +
              '(application/problem+json) with a stable `code`. Sign in with POST /api/v1/auth/login and use ' +
              'the access token with Authorize.',
          },
          tags: [
            { name: 'Auth', description: 'Sign up, sign in, token rotation, sign out' },
            { name: 'Members', description: 'Profiles' },
            { name: 'Categories', description: 'Product categories' },
            { name: 'Products', description: 'Catalog: search, cursor pages, popular, seller edits, images' },
            { name: 'Actuator', description: 'Health, info' },
          ],
          components: {
            securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
          },
        },
      }),
    )
    .get('/swagger-ui.html', ({ redirect }) => redirect('/swagger-ui', 301), { detail: { hide: true } })
    .get(
      '/swagger-ui/assets/:file',
      ({ params }) => {
        const asset = ASSETS[params.file]
        if (!asset) throw new AppError('NOT_FOUND', 'No such asset')
        return new Response(Bun.file(asset.path), {
          headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' },
        })
      },
      { detail: { hide: true } },
    )
}
