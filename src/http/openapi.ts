/**
 * OpenAPI 3 at /v3/api-docs, generated from the routes' own schemas by @elysiajs/openapi's `toOpenAPISchema`,
 * then corrected where the generator is wrong: 204 (void) responses carry no content, and error responses are
 * `application/problem+json` (RFC 9457), as src/http/problem.ts sends them. Request bodies document
 * only what each route's `parse` option names (JSON, or multipart where a route takes files). Swagger UI at /swagger-ui is served with its assets from
 * swagger-ui-dist by this app, so the docs work with the network off; the assets are imported as files, which
 * `bun build --compile` embeds into the single binary.
 */
import { createHash } from 'node:crypto'
import { toOpenAPISchema } from '@elysiajs/openapi'
import { OptionalKind } from '@sinclair/typebox'
import { type AnyElysia, Elysia } from 'elysia'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { AppError } from '../errors'
import { Problem } from './common.model'

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

type Operation = {
  parameters?: { description?: string; schema?: { description?: string } }[]
  responses?: Record<
    string,
    { description?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }
  >
}
type OperationWithBody = Operation & { requestBody?: { required?: boolean } }

/** Problem bodies only: a health check answers DOWN (503) with its own application/json body. */
function isProblemSchema(media: unknown): boolean {
  const required = (media as { schema?: { required?: unknown } } | undefined)?.schema?.required
  return Array.isArray(required) && required.includes('code') && required.includes('requestId')
}

/** The generator marks every request body required; `body: t.Optional(...)` (logout) is not. */
function markOptionalBodies(root: AnyElysia, paths: Record<string, Record<string, OperationWithBody>>) {
  for (const route of root.routes) {
    if ((route.hooks?.body as { [OptionalKind]?: string } | undefined)?.[OptionalKind] !== 'Optional')
      continue
    const operation = paths[route.path.replace(/:([^/]+)/g, '{$1}')]?.[route.method.toLowerCase()]
    if (operation?.requestBody) operation.requestBody.required = false
  }
}

/**
 * Removes Elysia's internal schema artifacts, which make the document invalid OpenAPI: t.Files carries
 * `elysiaMeta: 'Files'` and `default: 'Files'` (on an array, and on its binary items).
 */
function removeElysiaArtifacts<T>(node: T): T {
  if (Array.isArray(node)) return node.map(removeElysiaArtifacts) as T
  if (!node || typeof node !== 'object') return node
  const schema: Record<string, unknown> = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, removeElysiaArtifacts(value)]),
  )
  if (schema.format === 'binary' || schema.elysiaMeta !== undefined) {
    delete schema.default
    delete schema.elysiaMeta
  }
  return schema as T
}

/** Fixes what the generator gets wrong for this API (see the module header). */
function correctOperation(operation: Operation): void {
  // Swagger UI shows a parameter's own description, not its schema's: the input rules live there
  for (const parameter of operation.parameters ?? []) parameter.description ??= parameter.schema?.description
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    const media = response.content
    if (status === '204' || (media && Object.values(media).some((m) => typeof m !== 'object'))) {
      operation.responses![status] = {
        description: status === '204' ? 'No content' : (response.description ?? ''),
      }
    } else if (Number(status) >= 400 && isProblemSchema(media?.['application/json'])) {
      response.content = { 'application/problem+json': media?.['application/json'] }
      response.description = `Problem details (${status})`
    }
  }
}

/**
 * The per-IP limit (src/http/rate-limit.ts) can refuse any /api/v1 operation with 429, whichever route it is:
 * documented here once rather than on every route. The document is the contract whatever the configured limits.
 */
function documentRateLimit(paths: Record<string, Record<string, Operation>>): void {
  const header = (description: string) => ({ description, schema: { type: 'string' } })
  for (const [path, operations] of Object.entries(paths)) {
    if (!path.startsWith('/api/v1/')) continue
    for (const operation of Object.values(operations)) {
      operation.responses ??= {}
      operation.responses['429'] = {
        description: 'Problem details (429): a rate limit (SPEC §7) refused the request',
        content: { 'application/problem+json': { schema: JSON.parse(JSON.stringify(Problem)) } },
        headers: {
          'Retry-After': header('Seconds until the window ends'),
          RateLimit: header('limit=<n>, remaining=0, reset=<seconds>'),
          'RateLimit-Policy': header('<limit>;w=<window seconds>'),
        },
      }
    }
  }
}

export function openApiDocs(options: {
  version: string
  root: () => AnyElysia
  documentation: Record<string, unknown>
}) {
  let cached: { routeCount: number; document: unknown } | undefined

  const buildDocument = () => {
    const root = options.root()
    if (cached && cached.routeCount === root.routes.length) return cached.document
    const { paths, components } = toOpenAPISchema(root, { paths: [/^\/swagger-ui/, /^\/uploads/, SPEC_PATH] })
    for (const operations of Object.values(paths ?? {})) {
      for (const operation of Object.values(operations as Record<string, Operation>))
        correctOperation(operation)
    }
    markOptionalBodies(root, (paths ?? {}) as Record<string, Record<string, OperationWithBody>>)
    documentRateLimit((paths ?? {}) as Record<string, Record<string, Operation>>)
    const document = {
      openapi: '3.1.0',
      ...options.documentation,
      info: { ...(options.documentation.info as object), version: options.version },
      paths: removeElysiaArtifacts(paths),
      components: { ...(options.documentation.components as object), schemas: components?.schemas ?? {} },
    }
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
  tags: [
    { name: 'Auth', description: 'Sign up, sign in, token rotation, sign out' },
    { name: 'Members', description: 'Profiles' },
    { name: 'Categories', description: 'Product categories' },
    { name: 'Products', description: 'Catalog: search, cursor pages, popular, seller edits, images' },
    { name: 'Orders', description: 'Placement with atomic stock and idempotency keys; lifecycle' },
    { name: 'Outbox', description: 'Dead-lettered events of the outbox relay: list and re-drive (admin)' },
    { name: 'Actuator', description: 'Health, info' },
  ],
  components: {
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
}
