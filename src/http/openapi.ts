/**
 * OpenAPI 3.1 at /v3/api-docs, built from the routes' own schemas once (./openapi-document.ts; rebuilt only if
 * routes are added later). Swagger UI at /swagger-ui is served with its assets from
 * swagger-ui-dist by this app, so the docs work with the network off; the assets are imported as files, which
 * `bun build --compile` embeds into the single binary.
 */
import { createHash } from 'node:crypto'
import { type AnyElysia, Elysia } from 'elysia'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { AppError } from '../errors'
import { buildOpenApiDocument } from './openapi-document'

const ASSETS: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: swaggerBundle, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: swaggerCss, type: 'text/css; charset=utf-8' },
}

const SPEC_PATH = '/v3/api-docs'

const SWAGGER_INIT = `window.ui = SwaggerUIBundle({ url: '${SPEC_PATH}', dom_id: '#swagger-ui', persistAuthorization: true })`

/**
 * Swagger UI's own CSP (the API's default allows nothing): scripts and styles from this app only, the one inline
 * script by its hash, the SVG icons its stylesheet embeds as data: URLs, fetches of the document from this
 * origin; never framed. No 'unsafe-inline' for styles: the UI sets styles through the DOM, which CSP allows
 * (checked: rendering, an expanded operation, Authorize, Try it out and Execute raise no violation).
 * `bun run check:swagger-offline` fails on any CSP violation in a real browser.
 */
const SWAGGER_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash('sha256').update(SWAGGER_INIT).digest('base64')}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const SWAGGER_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Marketplace API</title>
  <link rel="stylesheet" href="/swagger-ui/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger-ui/assets/swagger-ui-bundle.js"></script>
  <script>${SWAGGER_INIT}</script>
</body>
</html>`

export function openApiDocs(options: {
  version: string
  root: () => AnyElysia
  documentation: Record<string, unknown>
}) {
  let cached: { routeCount: number; document: unknown } | undefined

  const buildDocument = () => {
    const root = options.root()
    if (cached && cached.routeCount === root.routes.length) return cached.document
    const document = buildOpenApiDocument(root, {
      version: options.version,
      documentation: options.documentation,
      excludedPaths: [/^\/swagger-ui/, /^\/uploads/, SPEC_PATH],
    })
    cached = { routeCount: root.routes.length, document }
    return document
  }

  return new Elysia({ name: 'openapi-docs' })
    .get(SPEC_PATH, () => buildDocument(), { detail: { hide: true } })
    .get(
      '/swagger-ui',
      () =>
        new Response(SWAGGER_HTML, {
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': SWAGGER_CSP },
        }),
      {
        detail: { hide: true },
      },
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

export const API_DOCUMENTATION = {
  info: {
    title: 'Marketplace API',
    description:
      'High-traffic marketplace backend (Bun + Elysia + Drizzle). Errors are RFC 9457 problem details ' +
      '(application/problem+json) with a stable `code`. Sign in with POST /api/v1/auth/login and use the ' +
      'access token with Authorize.',
  },
  // relative: the document is served by the API it describes, wherever that runs
  servers: [{ url: '/', description: 'The server this document was fetched from' }],
  tags: [
    { name: 'Auth', description: 'Sign up, sign in, token rotation, sign out' },
    { name: 'Members', description: 'Profiles' },
    { name: 'Categories', description: 'Product categories' },
    {
      name: 'Products',
      description: 'Catalog: search, cursor pages, popular, recommendations, seller edits, images',
    },
    { name: 'Orders', description: 'Placement with atomic stock and idempotency keys; lifecycle' },
    { name: 'Outbox', description: 'Dead-lettered events of the outbox relay: list and re-drive (admin)' },
    {
      name: 'Resilience',
      description:
        'Break and heal the simulated dependencies at runtime, to watch breakers and fallbacks (admin)',
    },
    { name: 'Actuator', description: 'Health, info' },
  ],
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
}
