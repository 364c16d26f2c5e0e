/**
 * Named schemas: `component('Product', t.Object(...), { description, example })` names a schema once, where it is
 * declared, and the OpenAPI document shows it as `#/components/schemas/Product` wherever it is used (at any depth:
 * a page of products is `{ items: [$ref Product], page: $ref PageInfo }`), so generated clients get named types.
 * The description and the example are written here too, and the example is type-checked against the schema.
 *
 * The name rides on the schema under a symbol, which TypeBox's compiler, Elysia and JSON never read: validators
 * compile from the very same inline schema as before, so naming costs nothing per request. src/http/openapi.ts
 * hoists the named schemas into components. Why not Elysia's own reference models (`.model({ Product })` with
 * `response: 'Product'` and `t.Ref('Product')` inside other schemas): a route would name its schema by a string
 * instead of importing it, nested references must be dereferenced by every validator and by the JSON responders
 * (src/http/cached-json.ts compiles the Product schema itself), and @elysiajs/openapi documents `t.Ref` inside
 * objects with `$ref`s it does not prefix (elysiajs/elysia-openapi#232, elysiajs/elysia#1541).
 */
import type { Static, TSchema } from '@sinclair/typebox'

export const COMPONENT_NAME = Symbol('OpenAPI component name')

export type ComponentDocs<T extends TSchema> = {
  /** What the value is, for client docs; also the description of a response or request body of this schema. */
  description: string
  /** A realistic value; validated against the schema by `bun run lint:openapi` (Redocly) and by the compiler. */
  example: Static<T>
}

/** Names `schema` as the component `name` (unique across the document) and documents it. */
export function component<T extends TSchema>(name: string, schema: T, docs: ComponentDocs<T>): T {
  return Object.assign(schema, {
    [COMPONENT_NAME]: name,
    description: docs.description,
    examples: [docs.example],
  })
}

export function componentNameOf(schema: unknown): string | undefined {
  return (schema as { [COMPONENT_NAME]?: string } | undefined)?.[COMPONENT_NAME]
}

/** The example a component was declared with (page and list schemas build theirs from their items'). */
export function exampleOf<T extends TSchema>(schema: T): Static<T> {
  const example = (schema as { examples?: unknown[] }).examples?.[0]
  if (example === undefined) throw new Error(`schema ${componentNameOf(schema)} has no example`)
  return example as Static<T>
}
