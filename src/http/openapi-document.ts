/**
 * Builds the OpenAPI 3.1 document from the app's routes: @elysiajs/openapi's `toOpenAPISchema` generates it from
 * the routes' own schemas, then this corrects what the generator gets wrong for this API and adds what a client
 * generator needs:
 * - 204 (void) responses carry no content; error responses are `application/problem+json` (RFC 9457), as
 *   ./problem.ts sends them, with a description of the status and an example per code (from ./problem.ts itself);
 *   a 201 documents its `Location`; the per-IP 429 is on every /api/v1 operation.
 * - Request bodies document only what each route's `parse` option names; `t.Optional` bodies are not required.
 * - Schemas named with `component()` (./component.model.ts) are hoisted into `components.schemas` and referenced
 *   by `$ref` wherever they are used.
 * - An operation that reads no token says so with `security: []`.
 * `bun run lint:openapi` lints the result with Redocly (redocly.yaml); test/openapi.test.ts checks the rest.
 */
import { toOpenAPISchema } from '@elysiajs/openapi'
import { OptionalKind } from '@sinclair/typebox'
import type { AnyElysia } from 'elysia'
import { AppError, ERROR_STATUS, type ErrorCode } from '../errors'
import { FieldProblem, Problem } from './common.model'
import { COMPONENT_NAME, exampleOf } from './component.model'
import { problemBody } from './problem'

type Operation = {
  security?: Record<string, string[]>[]
  parameters?: { description?: string; schema?: { description?: string } }[]
  responses?: Record<
    string,
    { description?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }
  >
}
type OperationWithBody = Operation & { requestBody?: { required?: boolean } }
type Paths = Record<string, Record<string, OperationWithBody>>

/** What an error status means on this API; the codes it carries come from src/errors.ts. */
const ERROR_MEANINGS: Record<string, string> = {
  400: 'Bad request: the input breaks its schema (`errors` names each field), the JSON is unreadable, or a cursor is not one this API issued',
  401: 'Unauthenticated: the access token (or the credentials) is missing, invalid, expired or revoked',
  403: 'Forbidden: signed in, but this role may not do this',
  404: "Not found, or not the caller's to see: another member's resource answers 404 as well",
  409: 'Conflict with the current state of the resource',
  412: 'Precondition failed: If-Match names a version that is no longer the current one',
  413: 'Payload too large (by default: a JSON body over 1 MiB, an image over 10 MiB)',
  415: 'Unsupported media type: send application/json (multipart/form-data for images)',
  422: 'Unprocessable: well-formed, but a business rule refuses it',
  429: 'Too many requests: a rate limit (SPEC §7) refused the request; retry after `Retry-After` seconds',
  503: 'Service unavailable: a dependency is down; retry later',
}

function codesOf(status: string): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => String(ERROR_STATUS[code]) === status)
}

function problemDescription(status: string): string {
  const codes = codesOf(status).map((code) => `\`${code}\``)
  return `${ERROR_MEANINGS[status] ?? 'Problem details'}. Codes with this status: ${codes.join(', ')}.`
}

/**
 * Each problem response lists an example per code of its status (Swagger UI offers them in a menu), as
 * references to `components.examples`, which holds one per code that some operation can answer. The bodies come
 * from src/http/problem.ts itself, so they are what the API sends.
 */
function documentProblemExamples(paths: Paths, examples: Record<string, unknown>): void {
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = response.content?.['application/problem+json'] as { examples?: object } | undefined
        if (!media) continue
        media.examples = Object.fromEntries(
          codesOf(status).map((code) => {
            examples[code] ??= { summary: new AppError(code).title, value: exampleProblem(code) }
            return [code, { $ref: `#/components/examples/${code}` }]
          }),
        )
      }
    }
  }
}

function exampleProblem(code: ErrorCode) {
  const errors = code === 'VALIDATION_FAILED' ? [exampleOf(FieldProblem)] : undefined
  return problemBody(new AppError(code, undefined, { errors }), '/api/v1/orders', '9f2c41d7a0-2bq')
}

/** Problem bodies only: a health check answers DOWN (503) with its own application/json body. */
function isProblemSchema(media: unknown): boolean {
  const required = (media as { schema?: { required?: unknown } } | undefined)?.schema?.required
  return Array.isArray(required) && required.includes('code') && required.includes('requestId')
}

/** The generator marks every request body required; `body: t.Optional(...)` (logout) is not. */
function markOptionalBodies(root: AnyElysia, paths: Paths) {
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

/**
 * Replaces every schema named with `component()` by a `$ref` and collects it in `schemas` under its name. The
 * generator copies schemas (its spreads keep the name's symbol), so a component arrives once per use: every copy
 * must serialize the same, or two different schemas claim one name, which is a bug and throws (the docs test
 * fails). A named schema made nullable (`t.Union([X, t.Null()])`) arrives merged by the generator into one object
 * with `type: [..., 'null']`: it becomes `anyOf: [$ref, null]`.
 */
function hoistComponents<T>(root: T, schemas: Record<string, unknown>): T {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (!node || typeof node !== 'object') return node
    const copy: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) copy[key] = visit(value)
    const name = (node as { [COMPONENT_NAME]?: string })[COMPONENT_NAME]
    if (name === undefined) return copy
    const isNullable = Array.isArray(copy.type) && copy.type.includes('null')
    if (isNullable) {
      const types = (copy.type as string[]).filter((type) => type !== 'null')
      copy.type = types.length === 1 ? types[0] : types
    }
    const existing = schemas[name]
    if (existing === undefined) schemas[name] = copy
    else if (JSON.stringify(existing) !== JSON.stringify(copy)) {
      throw new Error(
        `two different schemas are named ${name}: ${JSON.stringify(existing)} and ${JSON.stringify(copy)}`,
      )
    }
    const ref = { $ref: `#/components/schemas/${name}` }
    return isNullable ? { anyOf: [ref, { type: 'null' }] } : ref
  }
  return visit(root) as T
}

const stringHeader = (description: string) => ({ description, schema: { type: 'string' } })

/** Fixes what the generator gets wrong for this API (see the module header). */
function correctOperation(operation: Operation): void {
  // no `security` from the auth macros: the operation reads no token (optionalAuth routes declare theirs)
  operation.security ??= []
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
      response.description = problemDescription(status)
    }
    if (status === '201') response.headers = { Location: stringHeader('Path of the created resource') }
  }
}

/**
 * The per-IP limit (src/http/rate-limit.ts) can refuse any /api/v1 operation with 429, whichever route it is:
 * documented here once rather than on every route. The document is the contract whatever the configured limits.
 */
function documentRateLimit(paths: Paths): void {
  for (const [path, operations] of Object.entries(paths)) {
    if (!path.startsWith('/api/v1/')) continue
    for (const operation of Object.values(operations)) {
      operation.responses ??= {}
      operation.responses['429'] = {
        description: problemDescription('429'),
        content: { 'application/problem+json': { schema: Problem } },
        headers: {
          'Retry-After': stringHeader('Seconds until the window ends'),
          RateLimit: stringHeader('limit=<n>, remaining=0, reset=<seconds>'),
          'RateLimit-Policy': stringHeader('<limit>;w=<window seconds>'),
        },
      }
    }
  }
}

export function buildOpenApiDocument(
  root: AnyElysia,
  options: { version: string; documentation: Record<string, unknown>; excludedPaths: (string | RegExp)[] },
) {
  const generated = toOpenAPISchema(root, { paths: options.excludedPaths })
  const paths = (generated.paths ?? {}) as Paths
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) correctOperation(operation)
  }
  markOptionalBodies(root, paths)
  documentRateLimit(paths)
  const examples: Record<string, unknown> = {}
  documentProblemExamples(paths, examples)
  const schemas: Record<string, unknown> = {}
  const documentedPaths = removeElysiaArtifacts(hoistComponents(paths, schemas))
  return {
    openapi: '3.1.0',
    ...options.documentation,
    info: { ...(options.documentation.info as object), version: options.version },
    paths: documentedPaths,
    components: {
      ...(options.documentation.components as object),
      schemas: removeElysiaArtifacts(sortedByName(schemas)),
      examples: sortedByName(examples),
    },
  }
}

function sortedByName(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)))
}
