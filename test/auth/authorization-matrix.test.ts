/**
 * Every /api/v1 route × every caller (anonymous, two buyers, two sellers, admin) against the table in
 * test/support/authorization-cases.ts. A route the app registers without a row fails the coverage test, so a new route
 * cannot ship without someone deciding who may call it.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import {
  AUTHORIZATION_CASES,
  type AuthorizationCase,
  CALLERS,
  type Caller,
  type MatrixFixture,
  type Outcome,
  PERSONA_CREDENTIALS,
} from '../support/authorization-cases'
import { expectProblem, type Persona, type TestResponse, useTestApp } from '../support/harness'

const { t, tokens } = useTestApp({}, { tokens: true })
let fixture: MatrixFixture

beforeAll(async () => {
  let counter = 0
  fixture = {
    t,
    tokens,
    unique: (prefix) => `${prefix}-${Date.now().toString(36)}-${++counter}`,
    memberIds: {} as MatrixFixture['memberIds'],
    async createSellerProduct(status, seller = 'seller') {
      const res = await t.request('POST', '/api/v1/products', {
        token: fixture.tokens[seller],
        body: { name: 'Matrix fixture', price: 1000, stockQuantity: 5, categoryId: 1, status },
      })
      expect(res.status, res.text).toBe(201)
      return res.body.id as number
    },
    async signIn(persona) {
      const res = await t.request('POST', '/api/v1/auth/login', { body: PERSONA_CREDENTIALS[persona] })
      expect(res.status, res.text).toBe(200)
      return { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken }
    },
  }
  for (const [persona, token] of Object.entries(fixture.tokens)) {
    const me = await t.request('GET', '/api/v1/members/me', { token })
    expect(me.status, me.text).toBe(200)
    fixture.memberIds[persona as Persona] = me.body.id
  }
})

function routeKeyOf(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`
}

function registeredApiRoutes(): string[] {
  return t.app.routes.filter((r) => r.path.startsWith('/api/v1/')).map(routeKeyOf)
}

async function callAs(row: AuthorizationCase, caller: Caller): Promise<TestResponse> {
  const request = await row.arrange(fixture, caller)
  const method = row.route.split(' ')[0] as string
  const token = request.token ?? (caller === 'anonymous' ? undefined : fixture.tokens[caller])
  return t.request(method, request.path, { token, body: request.body, rawBody: request.rawBody })
}

function expectOutcome(res: TestResponse, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'allowed':
      expect(res.status, res.text).toBe(outcome.status)
      if (outcome.status !== 204)
        expect(res.headers.get('content-type'), res.text).toContain('application/json')
      return
    case 'unauthenticated':
      expectProblem(res, 401, 'UNAUTHENTICATED')
      expect(res.headers.get('www-authenticate'), res.text).toMatch(/^Bearer\b/)
      return
    case 'forbidden':
      expectProblem(res, 403, 'ACCESS_DENIED')
      return
    case 'hidden':
      expectProblem(res, 404, outcome.code)
      return
  }
}

function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'allowed':
      return `${outcome.status}`
    case 'unauthenticated':
      return '401 UNAUTHENTICATED with a Bearer challenge'
    case 'forbidden':
      return '403 ACCESS_DENIED'
    case 'hidden':
      return `404 ${outcome.code}`
  }
}

describe('authorization matrix coverage', () => {
  test('every /api/v1 route the app registers has at least one row in the matrix', () => {
    const covered = new Set(AUTHORIZATION_CASES.map((row) => row.route))
    const uncovered = registeredApiRoutes().filter((route) => !covered.has(route))
    expect(uncovered, `add rows to test/support/authorization-cases.ts for: ${uncovered.join(', ')}`).toEqual(
      [],
    )
  })

  test('every row of the matrix names a route the app registers (no stale rows)', () => {
    const registered = new Set(registeredApiRoutes())
    const stale = AUTHORIZATION_CASES.map((row) => row.route).filter((route) => !registered.has(route))
    expect(stale, `rows for routes that do not exist: ${stale.join(', ')}`).toEqual([])
  })

  test('every row states an outcome for each of the six callers', () => {
    for (const row of AUTHORIZATION_CASES) {
      expect(Object.keys(row.expected).sort(), `${row.route} (${row.scenario})`).toEqual([...CALLERS].sort())
    }
  })
})

for (const row of AUTHORIZATION_CASES) {
  describe(`${row.route} — ${row.scenario}`, () => {
    for (const caller of CALLERS) {
      const outcome = row.expected[caller]
      test(`${caller} gets ${describeOutcome(outcome)}`, async () => {
        const res = await callAs(row, caller)
        expectOutcome(res, outcome)
        if (outcome.kind === 'allowed' && caller !== 'anonymous') row.verify?.(res.body, caller, fixture)
      })
    }
  })
}
