/**
 * The published contract (SPEC §4 last paragraph): /v3/api-docs documents every route the app registers, each
 * with a summary, a tag, its request body and a schema for every status it declares; protected operations
 * declare bearer security and their 401/403 (who gets what comes from test/authorization-cases.ts). Swagger UI
 * must work offline: test/swagger-ui.test.ts. For client generators (issue #10): bodies are named component
 * schemas, each with a description and an example that its own validator accepts; `bun run lint:openapi` lints
 * the same document with Redocly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { OptionalKind, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ERROR_STATUS } from '../../src/errors'
import { componentNameOf, exampleOf } from '../../src/http/component.model'
import { AUTHORIZATION_CASES } from '../support/authorization-cases'
import { createTestApp, type TestApp } from '../support/harness'

type Schema = Record<string, any>
type MediaType = { schema?: Schema; examples?: Record<string, Schema> }
type Response = { description?: string; content?: Record<string, MediaType> }
type Operation = {
  summary?: string
  description?: string
  tags?: string[]
  operationId?: string
  security?: Record<string, string[]>[]
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[]
  requestBody?: { required?: boolean; content?: Record<string, MediaType> }
  responses?: Record<string, Response>
}
type Document = {
  openapi: string
  info: { title: string; version: string }
  tags?: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: {
    schemas?: Record<string, Schema>
    securitySchemes?: Record<string, Schema>
    examples?: Record<string, Schema>
  }
}

const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']
/** Identifiers that are not database ids, so not integers: a UUID, a request id, the envelope's text id. */
const TEXT_IDENTIFIERS = new Set(['eventId', 'requestId', 'aggregateId'])
/** Operations that read no token at all (the rest of the public ones take an optional token). */
const TOKENLESS_OPERATIONS = [
  'post /api/v1/auth/signup',
  'post /api/v1/auth/login',
  'post /api/v1/auth/refresh',
  'get /actuator/health/liveness',
  'get /actuator/health/readiness',
  'get /actuator/info',
  'get /actuator/prometheus',
]
/** Documented error statuses whose body is not a problem: Spring-style health answers DOWN with 503. */
const NON_PROBLEM_ERRORS = new Set(['get /actuator/health 503', 'get /actuator/health/readiness 503'])

let t: TestApp
let doc: Document
let docText: string

beforeAll(async () => {
  t = await createTestApp()
  const res = await t.request('GET', '/v3/api-docs')
  expect(res.status, res.text).toBe(200)
  doc = res.body
  docText = res.text
})
afterAll(() => t.close())

const toOpenApiPath = (path: string) => path.replace(/:([^/]+)/g, '{$1}')

/** The documented routes: every /api/v1 and /actuator route (docs, assets and uploads are hidden). */
function documentedRoutes() {
  return t.app.routes.filter((r) => r.path.startsWith('/api/v1/') || r.path.startsWith('/actuator'))
}

function operations(): { key: string; path: string; method: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, operation]) => ({
      key: `${method} ${path}`,
      path,
      method,
      operation,
    })),
  )
}

function resolve(schema: Schema | undefined): Schema | undefined {
  const ref = schema?.$ref
  if (typeof ref !== 'string') return schema
  return ref
    .split('/')
    .slice(1)
    .reduce((node: any, part) => node?.[part], doc)
}

function operationOf(route: string): Operation | undefined {
  const [method, path] = route.split(' ') as [string, string]
  return doc.paths[toOpenApiPath(path)]?.[method.toLowerCase()]
}

describe('GET /v3/api-docs', () => {
  test('is an OpenAPI 3 JSON document titled "Marketplace API"', async () => {
    const res = await t.request('GET', '/v3/api-docs')
    expect(res.headers.get('content-type'), res.text).toContain('application/json')
    expect(doc.openapi, docText.slice(0, 300)).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info.title).toBe('Marketplace API')
    expect(typeof doc.info.version).toBe('string')
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0)
  })

  test('bearerAuth is an HTTP bearer scheme with JWT tokens', () => {
    expect(doc.components.securitySchemes?.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    })
  })

  test('every $ref points at something the document defines', () => {
    const refs = [...docText.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string)
    const dangling = refs.filter((ref) => !ref.startsWith('#/') || resolve({ $ref: ref }) === undefined)
    expect(dangling).toEqual([])
  })

  test('no schema has a default that contradicts its own type (strict validators reject those)', () => {
    const contradictions: string[] = []
    const visit = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return
      const schema = node as Schema
      if ('default' in schema && schema.type !== undefined && !matchesType(schema.default, schema.type)) {
        contradictions.push(`${at}: ${JSON.stringify(schema)}`)
      }
      for (const [key, child] of Object.entries(schema)) visit(child, `${at}/${key}`)
    }
    visit(doc, '#')
    expect(contradictions).toEqual([])
  })

  test('every /api/v1 and /actuator route of the app is documented under its method', () => {
    const missing = documentedRoutes()
      .filter((r) => !doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.path}`)
    expect(missing, `undocumented: ${missing.join(', ')}`).toEqual([])
  })

  test('the document has no operation the app does not serve, and hides docs, assets and uploads', () => {
    const served = new Set(
      documentedRoutes().map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`),
    )
    const phantom = operations()
      .map((o) => o.key)
      .filter((key) => !served.has(key))
    expect(phantom).toEqual([])
  })

  test('every operation has a summary, a declared tag and a unique operationId', () => {
    const declaredTags = new Set((doc.tags ?? []).map((tag) => tag.name))
    const ids = new Set<string>()
    for (const { key, operation } of operations()) {
      expect(operation.summary?.trim(), key).toBeTruthy()
      expect(operation.tags?.length, key).toBeGreaterThan(0)
      for (const tag of operation.tags ?? []) expect(declaredTags.has(tag), `${key}: tag ${tag}`).toBe(true)
      expect(operation.operationId, key).toBeTruthy()
      expect(ids.has(operation.operationId as string), `${key}: duplicate operationId`).toBe(false)
      ids.add(operation.operationId as string)
    }
  })

  test('every operation has a summary and a description', () => {
    const missing = operations()
      .filter(({ operation }) => !operation.summary?.trim() || !operation.description?.trim())
      .map(({ key }) => key)
    expect(missing).toEqual([])
  })

  test('every success body and every JSON request body is a $ref to a named component schema', () => {
    const inline: string[] = []
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!status.startsWith('2')) continue
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (!isComponentRef(media.schema)) inline.push(`${key} ${status} ${type}`)
        }
      }
      const json = operation.requestBody?.content?.['application/json']
      if (json && !isComponentRef(json.schema)) inline.push(`${key} request body`)
    }
    expect(inline).toEqual([])
  })

  test('every component schema has a description and an example', () => {
    const schemas = Object.entries(doc.components.schemas ?? {})
    expect(schemas.length).toBeGreaterThan(20)
    for (const [name, schema] of schemas) {
      expect(schema.description?.trim(), name).toBeTruthy()
      expect(schema.examples?.length, `${name}: ${JSON.stringify(schema).slice(0, 200)}`).toBeGreaterThan(0)
    }
  })

  test('pages, lists, problems and enums are components of their own, referenced from their users', () => {
    const schemas = doc.components.schemas ?? {}
    expect(resolve(schemas.ProductPage?.properties?.items?.items)).toBe(schemas.Product)
    expect(resolve(schemas.ProductPage?.properties?.page)).toBe(schemas.PageInfo)
    expect(resolve(schemas.OrderCursorPage?.properties?.items?.items)).toBe(schemas.Order)
    expect(resolve(schemas.ProductList?.items)).toBe(schemas.Product)
    expect(resolve(schemas.Order?.properties?.orderItems?.items)).toBe(schemas.OrderItem)
    expect(resolve(schemas.Order?.properties?.status)).toBe(schemas.OrderStatus)
    expect(resolve(schemas.Problem?.properties?.code)?.enum).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED']),
    )
    const problemRefs = docText.match(/"\$ref":"#\/components\/schemas\/Problem"/g) ?? []
    expect(problemRefs.length).toBeGreaterThan(operations().length)
  })

  test("every component's example passes the component's own validator", () => {
    const named = namedSchemasOfRoutes()
    expect(named.size).toBeGreaterThan(20)
    expect([...named.keys()].sort()).toEqual(Object.keys(doc.components.schemas ?? {}).sort())
    for (const [name, schema] of named) {
      const example = exampleOf(schema)
      const errors = [...Value.Errors(schema, example)].map((e) => `${e.path}: ${e.message}`)
      expect(errors, `${name}: ${JSON.stringify(example)}`).toEqual([])
    }
  })

  test('no response has a generic description', () => {
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        expect(response.description ?? '', `${key} ${status}`).not.toMatch(/^(Response for status|$)/)
      }
    }
  })

  test('ids are typed integer, in bodies and in parameters', () => {
    const wrong: string[] = []
    const visit = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return
      for (const [key, child] of Object.entries(node as Schema)) {
        const isSchemaOfId =
          at.endsWith('/properties') && /^(id|.+Id)$/.test(key) && !TEXT_IDENTIFIERS.has(key)
        if (isSchemaOfId && !isIntegerSchema(child)) wrong.push(`${at}/${key}: ${JSON.stringify(child)}`)
        visit(child, `${at}/${key}`)
      }
    }
    visit(doc, '#')
    for (const { key, operation } of operations()) {
      for (const parameter of operation.parameters ?? []) {
        if (/^(id|.+Id)$/.test(parameter.name) && !isIntegerSchema(parameter.schema))
          wrong.push(`${key} parameter ${parameter.name}`)
      }
    }
    expect(wrong).toEqual([])
  })

  test('every path parameter is declared as a required path parameter', () => {
    for (const { key, path, operation } of operations()) {
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name)
        expect(parameter?.required, `${key}: path parameter ${name}`).toBe(true)
      }
    }
  })

  test('every declared status has a description, and a schema unless it is a 204', () => {
    for (const { key, operation } of operations()) {
      const responses = Object.entries(operation.responses ?? {})
      expect(
        responses.some(([status]) => status.startsWith('2')),
        `${key} documents no success`,
      ).toBe(true)
      for (const [status, response] of responses) {
        const where = `${key} ${status}: ${JSON.stringify(response).slice(0, 300)}`
        expect(typeof response.description, where).toBe('string')
        if (status === '204') {
          expect(response.content, where).toBeUndefined()
          continue
        }
        const media = Object.entries(response.content ?? {})
        expect(media.length, where).toBeGreaterThan(0)
        for (const [type, content] of media) {
          expect(type, where).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/)
          expect(Object.keys(resolve(content.schema) ?? {}).length, where).toBeGreaterThan(0)
        }
      }
    }
  })

  test('every error status is an application/problem+json Problem (health DOWN excepted)', () => {
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || NON_PROBLEM_ERRORS.has(`${key} ${status}`)) continue
        const where = `${key} ${status}: ${JSON.stringify(response).slice(0, 300)}`
        expect(Object.keys(response.content ?? {}), where).toEqual(['application/problem+json'])
        const problem = resolve(response.content?.['application/problem+json']?.schema)
        expect(problem?.required, where).toEqual(expect.arrayContaining(PROBLEM_MEMBERS))
        expect(Object.keys(problem?.properties ?? {}), where).toEqual(expect.arrayContaining(PROBLEM_MEMBERS))
      }
    }
  })

  test('every problem response offers an example body for each error code of its status', () => {
    for (const { key, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = response.content?.['application/problem+json']
        if (!media) continue
        const codes = Object.entries(ERROR_STATUS)
          .filter(([, codeStatus]) => String(codeStatus) === status)
          .map(([code]) => code)
        const where = `${key} ${status}: ${JSON.stringify(media.examples)}`
        expect(Object.keys(media.examples ?? {}).sort(), where).toEqual(codes.sort())
        for (const [code, example] of Object.entries(media.examples ?? {})) {
          const value = resolve(example)?.value
          expect(value, where).toMatchObject({ code, status: Number(status) })
          expect(Object.keys(value ?? {}), where).toEqual(expect.arrayContaining(PROBLEM_MEMBERS))
        }
      }
    }
  })

  test('health DOWN (503) is documented as the application/json health body the server really sends', () => {
    for (const key of NON_PROBLEM_ERRORS) {
      const [method, path, status] = key.split(' ') as [string, string, string]
      const response = doc.paths[path]?.[method]?.responses?.[status]
      const where = `${key}: ${JSON.stringify(response).slice(0, 300)}`
      expect(Object.keys(response?.content ?? {}), where).toEqual(['application/json'])
      expect(
        resolve(response?.content?.['application/json']?.schema)?.properties?.status,
        where,
      ).toBeDefined()
    }
  })

  test('every route that takes a body documents it, required unless the body is optional', () => {
    for (const route of documentedRoutes()) {
      const body = route.hooks?.body as { [OptionalKind]?: string } | undefined
      if (!body) continue
      const key = `${route.method} ${route.path}`
      const requestBody = operationOf(key)?.requestBody
      const media = Object.entries(requestBody?.content ?? {})
      expect(media.length, `${key}: ${JSON.stringify(requestBody)}`).toBeGreaterThan(0)
      for (const [, content] of media) expect(resolve(content.schema)?.type, key).toBe('object')
      expect(requestBody?.required, key).toBe(body[OptionalKind] !== 'Optional')
    }
  })

  test('image upload documents a multipart body with a binary files array', () => {
    const content = operationOf('POST /api/v1/products/:id/images')?.requestBody?.content
    const schema = resolve(content?.['multipart/form-data']?.schema)
    const files = schema?.properties?.files
    expect(files?.type, JSON.stringify(content)).toBe('array')
    expect(files?.items, JSON.stringify(content)).toMatchObject({ type: 'string', format: 'binary' })
  })
})

describe('security declared in /v3/api-docs matches the authorization matrix', () => {
  const isBearer = (requirement: Record<string, string[]>) => Object.keys(requirement).includes('bearerAuth')

  test('an operation that refuses anonymous callers requires bearerAuth and documents 401 (and 403 if role-bound)', () => {
    for (const row of AUTHORIZATION_CASES) {
      const operation = operationOf(row.route)
      const outcomes = Object.values(row.expected)
      const where = `${row.route}: ${JSON.stringify({ security: operation?.security, statuses: Object.keys(operation?.responses ?? {}) })}`
      if (row.expected.anonymous.kind === 'unauthenticated') {
        expect(operation?.security?.some(isBearer), where).toBe(true)
        expect(
          operation?.security?.some((r) => Object.keys(r).length === 0),
          `${where}: optional`,
        ).toBe(false)
        expect(operation?.responses?.['401'], where).toBeDefined()
      }
      if (outcomes.some((o) => o.kind === 'forbidden'))
        expect(operation?.responses?.['403'], where).toBeDefined()
      if (outcomes.some((o) => o.kind === 'hidden'))
        expect(operation?.responses?.['404'], where).toBeDefined()
      for (const outcome of outcomes) {
        if (outcome.kind === 'allowed')
          expect(operation?.responses?.[String(outcome.status)], where).toBeDefined()
      }
    }
  })

  test('an operation open to anonymous callers does not demand a token', () => {
    for (const row of AUTHORIZATION_CASES.filter((r) => r.expected.anonymous.kind !== 'unauthenticated')) {
      const security = operationOf(row.route)?.security
      const where = `${row.route}: ${JSON.stringify(security)}`
      expect(Array.isArray(security), where).toBe(true)
      const isOpen = security?.length === 0 || security?.some((r) => Object.keys(r).length === 0)
      expect(isOpen, where).toBe(true)
    }
  })

  test('every operation declares its security, and operations that read no token declare `security: []`', () => {
    for (const { key, operation } of operations()) {
      expect(Array.isArray(operation.security), `${key}: ${JSON.stringify(operation.security)}`).toBe(true)
      if (!operation.security?.some(isBearer)) expect(operation.security, key).toEqual([])
    }
    for (const key of TOKENLESS_OPERATIONS) {
      const [method, path] = key.split(' ') as [string, string]
      expect(doc.paths[path]?.[method]?.security, key).toEqual([])
    }
  })

  test('every operation that accepts a bearer token documents 401', () => {
    for (const { key, operation } of operations()) {
      if (!operation.security?.some(isBearer)) continue
      expect(operation.responses?.['401'], key).toBeDefined()
    }
  })
})

function isComponentRef(schema: Schema | undefined): boolean {
  const ref = schema?.$ref
  return typeof ref === 'string' && ref.startsWith('#/components/schemas/') && resolve(schema) !== undefined
}

function isIntegerSchema(schema: unknown): boolean {
  const type = (schema as Schema | undefined)?.type
  return type === 'integer' || (Array.isArray(type) && type.includes('integer') && !type.includes('string'))
}

/** The schemas named with component() that the app's routes use, at any depth: name → the TypeBox schema. */
function namedSchemasOfRoutes(): Map<string, TSchema> {
  const named = new Map<string, TSchema>()
  const seen = new Set<object>()
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return
    seen.add(node)
    const name = componentNameOf(node)
    if (name) named.set(name, node as TSchema)
    for (const child of Object.values(node)) visit(child)
  }
  for (const route of t.app.routes) visit([route.hooks?.body, route.hooks?.response])
  return named
}

function matchesType(value: unknown, type: string | string[]): boolean {
  const types = Array.isArray(type) ? type : [type]
  return types.some((name) => {
    switch (name) {
      case 'integer':
        return Number.isInteger(value)
      case 'number':
        return typeof value === 'number'
      case 'null':
        return value === null
      case 'array':
        return Array.isArray(value)
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value)
      default:
        return typeof value === name
    }
  })
}
