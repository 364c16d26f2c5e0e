/**
 * The published contract (SPEC §4 last paragraph): /v3/api-docs documents every route the app registers, each
 * with a summary, a tag, its request body and a schema for every status it declares; protected operations
 * declare bearer security and their 401/403 (who gets what comes from test/authorization-cases.ts). Swagger UI
 * must work offline: test/swagger-ui.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { OptionalKind } from '@sinclair/typebox'
import { AUTHORIZATION_CASES } from './support/authorization-cases'
import { createTestApp, type TestApp } from './support/harness'

type Schema = Record<string, any>
type MediaType = { schema?: Schema }
type Response = { description?: string; content?: Record<string, MediaType> }
type Operation = {
  summary?: string
  tags?: string[]
  operationId?: string
  security?: Record<string, string[]>[]
  parameters?: { name: string; in: string; required?: boolean }[]
  requestBody?: { required?: boolean; content?: Record<string, MediaType> }
  responses?: Record<string, Response>
}
type Document = {
  openapi: string
  info: { title: string; version: string }
  tags?: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, Schema> }
}

const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']
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
      expect(security === undefined || security.some((r) => Object.keys(r).length === 0), where).toBe(true)
    }
  })

  test('every operation that accepts a bearer token documents 401', () => {
    for (const { key, operation } of operations()) {
      if (!operation.security?.some(isBearer)) continue
      expect(operation.responses?.['401'], key).toBeDefined()
    }
  })
})

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
