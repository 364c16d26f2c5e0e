/**
 * Free text in bodies (issue #9 item 4): control characters, unpaired surrogates and names with nothing visible
 * are a 400 VALIDATION_FAILED naming the field, and a follow-up read shows nothing was written; accepted text is
 * stored NFC. Multi-line fields (product description, addressDetail) allow tab and line feed. Passwords take any
 * printable character and are NFC-normalised at signup and login alike.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { countRows, createProduct, productBody, storedProduct } from '../support/catalog-fixtures'
import { DEMO, expectProblem, type TestResponse, useTestApp } from '../support/harness'
import { countOf, freshProduct, orderBody, postOrder, SHIPPING_ADDRESS } from '../support/order-fixtures'

const { t, tokens } = useTestApp({}, { tokens: true })
let productId: number
let orderProductId: number
beforeAll(async () => {
  productId = (await createProduct(t, tokens.seller)).id
  orderProductId = await freshProduct(t, tokens.seller, 1000)
})

let counter = 0
const uniqueEmail = () => `strict-text-${++counter}@example.com`

const COMPOSED = 'Caf\u00e9' // "Café" as one code point
const DECOMPOSED = 'Cafe\u0301' // "Café" as e + combining acute accent

/** Refused in every text field. */
const CONTROL_AND_SURROGATES: [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['BEL', 'a\u0007b'],
  ['ESC (terminal escape)', 'a\u001b[2Jb'],
  ['CR', 'a\rb'],
  ['DEL', 'a\u007fb'],
  ['C1 NEL', 'a\u0085b'],
  ['an unpaired high surrogate', 'a\ud800b'],
  ['an unpaired low surrogate', 'a\udc00b'],
]
/** Refused in single-line fields only. */
const LINE_BREAKS: [string, string][] = [
  ['LF', 'a\nb'],
  ['TAB', 'a\tb'],
]
/** Refused where a visible character is required (names, addresses). */
const BLANK: [string, string][] = [
  ['empty', ''],
  ['spaces', '   '],
  ['no-break and ideographic spaces', '\u00a0\u3000'],
  ['zero-width space', '\u200b'],
  ['zero-width joiners and word joiner', '\u200c\u200d\u2060'],
  ['Hangul filler', '\u3164'],
  ['byte order mark', '\ufeff'],
]

type TextField = {
  label: string
  field: string
  isMultiline?: boolean
  isBlankAllowed?: boolean
  /** A URL is UTF-8: an unpaired surrogate cannot be percent-encoded into one, so query fields skip those. */
  isInQuery?: boolean
  send(value: string): Promise<TestResponse>
  /** What a refused request must leave unchanged. */
  state(): unknown
}

const TEXT_FIELDS: TextField[] = [
  {
    label: 'POST /auth/signup name',
    field: 'name',
    send: (name) =>
      t.request('POST', '/api/v1/auth/signup', {
        body: { email: uniqueEmail(), password: 'password123', name, role: 'BUYER' },
      }),
    state: () => countRows(t, 'members'),
  },
  {
    label: 'POST /auth/signup password',
    field: 'password',
    isBlankAllowed: true,
    send: (password) =>
      t.request('POST', '/api/v1/auth/signup', {
        body: { email: uniqueEmail(), password: `pass${password}word`, name: 'N', role: 'BUYER' },
      }),
    state: () => countRows(t, 'members'),
  },
  {
    label: 'PATCH /members/me name',
    field: 'name',
    send: (name) => t.request('PATCH', '/api/v1/members/me', { token: tokens.otherBuyer, body: { name } }),
    state: () => t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer }).then((r) => r.body),
  },
  {
    label: 'POST /admin/categories name',
    field: 'name',
    send: (name) => t.request('POST', '/api/v1/admin/categories', { token: tokens.admin, body: { name } }),
    state: () => t.request('GET', '/api/v1/categories').then((r) => r.body),
  },
  {
    label: 'POST /products name',
    field: 'name',
    send: (name) =>
      t.request('POST', '/api/v1/products', { token: tokens.seller, body: productBody({ name }) }),
    state: () => countRows(t, 'products'),
  },
  {
    label: 'POST /products description',
    field: 'description',
    isMultiline: true,
    isBlankAllowed: true,
    send: (description) =>
      t.request('POST', '/api/v1/products', { token: tokens.seller, body: productBody({ description }) }),
    state: () => countRows(t, 'products'),
  },
  {
    label: 'PATCH /products/:id name',
    field: 'name',
    send: (name) =>
      t.request('PATCH', `/api/v1/products/${productId}`, { token: tokens.seller, body: { name } }),
    state: () => storedProduct(t, productId),
  },
  {
    label: 'PATCH /products/:id description',
    field: 'description',
    isMultiline: true,
    isBlankAllowed: true,
    send: (description) =>
      t.request('PATCH', `/api/v1/products/${productId}`, { token: tokens.seller, body: { description } }),
    state: () => storedProduct(t, productId),
  },
  ...(['address', 'receiverName', 'addressDetail'] as const).map(
    (name): TextField => ({
      label: `POST /orders shippingAddress.${name}`,
      field: `shippingAddress.${name}`,
      isMultiline: name === 'addressDetail',
      isBlankAllowed: name === 'addressDetail',
      send: (value) =>
        postOrder(
          t,
          tokens.buyer,
          orderBody([{ productId: orderProductId, quantity: 1 }], {
            shippingAddress: { ...SHIPPING_ADDRESS, [name]: value },
          }),
        ),
      state: () => [countOf(t, 'orders'), storedProduct(t, orderProductId)?.stock_quantity],
    }),
  ),
  {
    label: 'GET /products keyword',
    field: 'keyword',
    isInQuery: true,
    send: (keyword) => t.request('GET', `/api/v1/products?keyword=${encodeURIComponent(keyword)}`),
    state: () => null,
  },
]

function hostileValuesOf(field: TextField): [string, string][] {
  return [
    ...CONTROL_AND_SURROGATES.filter(([, value]) => !field.isInQuery || value.isWellFormed()),
    ...(field.isMultiline ? [] : LINE_BREAKS),
    ...(field.isBlankAllowed ? [] : BLANK),
  ]
}

describe('every free-text field refuses hostile text with a 400 naming it, and nothing is written', () => {
  test.each(TEXT_FIELDS.map((f) => [f.label, f] as const))('%s', async (_label, field) => {
    for (const [what, value] of hostileValuesOf(field)) {
      const before = await field.state()

      const res = await field.send(value)

      const where = `${field.label} with ${what}: ${res.text}`
      expect(res.status, where).toBe(400)
      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        where,
      ).toEqual([field.field])
      expect(await field.state(), where).toEqual(before)
    }
  })

  test('the problem says why: control character, surrogate, nothing visible', async () => {
    const messages = async (name: string) =>
      (await t.request('POST', '/api/v1/products', { token: tokens.seller, body: productBody({ name }) }))
        .body.errors[0].message

    expect(await messages('a\u0000b')).toContain('control characters')
    expect(await messages('a\ud800b')).toContain('unpaired')
    expect(await messages('\u200b')).toContain('visible character')
  })
})

describe('ASCII-pattern fields (phone, zip code, business number)', () => {
  test('need a letter or digit: blanks and hyphens alone are a 400 naming the field, and nothing is written', async () => {
    const members = countRows(t, 'members')
    const orders = countOf(t, 'orders')

    const phone = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      body: { phone: '   ' },
    })
    const businessNumber = await t.request('POST', '/api/v1/auth/signup', {
      body: {
        email: uniqueEmail(),
        password: 'password123',
        name: 'N',
        role: 'SELLER',
        businessNumber: '---',
      },
    })
    const zipCode = await postOrder(
      t,
      tokens.buyer,
      orderBody([{ productId: orderProductId, quantity: 1 }], {
        shippingAddress: { ...SHIPPING_ADDRESS, zipCode: '   ' },
      }),
    )

    for (const [res, field] of [
      [phone, 'phone'],
      [businessNumber, 'businessNumber'],
      [zipCode, 'shippingAddress.zipCode'],
    ] as const) {
      expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field])
    }
    expect(countRows(t, 'members')).toBe(members)
    expect(countOf(t, 'orders')).toBe(orders)
    const me = await t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer })
    expect(me.body.phone).not.toBe('   ')
  })
})

describe('multi-line fields', () => {
  test('a product description keeps its line feeds and tabs', async () => {
    const description = 'Line one\n\tindented\nline three'

    const created = await createProduct(t, tokens.seller, { description })

    expect(created.description).toBe(description)
    expect(storedProduct(t, created.id)?.description).toBe(description)
  })

  test('an addressDetail keeps its line feed; a receiverName with one is refused', async () => {
    const addressDetail = 'Building 2\nApt 101'
    const accepted = await postOrder(
      t,
      tokens.buyer,
      orderBody([{ productId: orderProductId, quantity: 1 }], {
        shippingAddress: { ...SHIPPING_ADDRESS, addressDetail },
      }),
    )

    expect(accepted.status, accepted.text).toBe(201)
    const read = await t.request('GET', `/api/v1/orders/${accepted.body.id}`, { token: tokens.buyer })
    expect(read.body.shippingAddress.addressDetail).toBe(addressDetail)
  })
})

describe('accepted text is stored NFC', () => {
  test('a decomposed product name and description are stored and served composed', async () => {
    const created = await createProduct(t, tokens.seller, {
      name: DECOMPOSED,
      description: `${DECOMPOSED}\n`,
    })

    expect(storedProduct(t, created.id)).toMatchObject({ name: COMPOSED, description: `${COMPOSED}\n` })
    const read = await t.request('GET', `/api/v1/products/${created.id}`)
    expect(read.body).toMatchObject({ name: COMPOSED, description: `${COMPOSED}\n` })
  })

  test('a decomposed rename, member name, category name and shipping address are stored composed', async () => {
    const rename = await t.request('PATCH', `/api/v1/products/${productId}`, {
      token: tokens.seller,
      body: { name: `${DECOMPOSED} rename` },
    })
    const member = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      body: { name: DECOMPOSED },
    })
    const category = await t.request('POST', '/api/v1/admin/categories', {
      token: tokens.admin,
      body: { name: `${DECOMPOSED} corner` },
    })
    const order = await postOrder(
      t,
      tokens.buyer,
      orderBody([{ productId: orderProductId, quantity: 1 }], {
        shippingAddress: { ...SHIPPING_ADDRESS, address: DECOMPOSED, receiverName: DECOMPOSED },
      }),
    )

    expect(storedProduct(t, productId)?.name).toBe(`${COMPOSED} rename`)
    expect(member.body.name, member.text).toBe(COMPOSED)
    expect((await t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer })).body.name).toBe(
      COMPOSED,
    )
    const categories = (await t.request('GET', '/api/v1/categories')).body
    expect(categories.map((c: { name: string }) => c.name)).toContain(`${COMPOSED} corner`)
    expect(category.status, category.text).toBe(201)
    const read = await t.request('GET', `/api/v1/orders/${order.body.id}`, { token: tokens.buyer })
    expect(read.body.shippingAddress).toMatchObject({ address: COMPOSED, receiverName: COMPOSED })
    expect(rename.status, rename.text).toBe(200)
  })

  test('decomposed text sent as \\u escapes (as Python’s json.dumps sends it) is stored composed too', async () => {
    const res = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      rawBody: '{"name":"Cafe\\u0301 escaped"}',
      headers: { 'content-type': 'application/json' },
    })

    expect(res.status, res.text).toBe(200)
    const me = await t.request('GET', '/api/v1/members/me', { token: tokens.otherBuyer })
    expect(me.body.name).toBe(`${COMPOSED} escaped`)
  })

  test('a decomposed search keyword finds the composed name', async () => {
    const product = await createProduct(t, tokens.seller, { name: `${COMPOSED} noir beans` })

    const res = await t.request('GET', `/api/v1/products?keyword=${encodeURIComponent(`${DECOMPOSED} noir`)}`)

    expect(res.status, res.text).toBe(200)
    expect(res.body.items.map((p: { id: number }) => p.id)).toContain(product.id)
  })

  test('lengths count characters after NFC: 100 emoji (200 UTF-16 units) fit a 100-character name', async () => {
    const fits = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      body: { name: '\u{1F600}'.repeat(100) },
    })
    const tooLong = await t.request('PATCH', '/api/v1/members/me', {
      token: tokens.otherBuyer,
      body: { name: '\u{1F600}'.repeat(101) },
    })

    expect(fits.status, fits.text).toBe(200)
    expectProblem(tooLong, 400, 'VALIDATION_FAILED')
    expect(tooLong.body.errors).toEqual([{ field: 'name', message: 'must be at most 100 characters' }])
  })
})

describe('passwords', () => {
  test('the demo logins still work', async () => {
    for (const { email, password } of Object.values(DEMO)) {
      const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password } })
      expect(res.status, `${email}: ${res.text}`).toBe(200)
    }
  })

  test('a password typed decomposed at signup signs in typed composed, and the other way round', async () => {
    const first = uniqueEmail()
    const second = uniqueEmail()
    const signup = (email: string, password: string) =>
      t.request('POST', '/api/v1/auth/signup', { body: { email, password, name: 'N', role: 'BUYER' } })
    expect((await signup(first, `${DECOMPOSED} secret`)).status).toBe(201)
    expect((await signup(second, `${COMPOSED} secret`)).status).toBe(201)

    const composedLogin = await t.request('POST', '/api/v1/auth/login', {
      body: { email: first, password: `${COMPOSED} secret` },
    })
    const decomposedLogin = await t.request('POST', '/api/v1/auth/login', {
      body: { email: second, password: `${DECOMPOSED} secret` },
    })

    expect(composedLogin.status, composedLogin.text).toBe(200)
    expect(decomposedLogin.status, decomposedLogin.text).toBe(200)
  })

  test('spaces and symbols are fine; a control character at login is a 400 naming the password', async () => {
    const email = uniqueEmail()
    const password = '  !"#$%&\'()*+,-./ ~ 비밀번호  '
    const signup = await t.request('POST', '/api/v1/auth/signup', {
      body: { email, password, name: 'N', role: 'BUYER' },
    })
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email, password } })
    const withNul = await t.request('POST', '/api/v1/auth/login', {
      body: { email, password: `${password}\u0000` },
    })

    expect(signup.status, signup.text).toBe(201)
    expect(login.status, login.text).toBe(200)
    expectProblem(withNul, 400, 'VALIDATION_FAILED')
    expect(withNul.body.errors.map((e: { field: string }) => e.field)).toEqual(['password'])
  })
})
