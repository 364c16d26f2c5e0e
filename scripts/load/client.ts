/**
 * The API calls of the load scenarios, as k6/lib/marketplace.js makes them: each virtual user with an address of
 * its own (X-Forwarded-For, believed because the servers run with TRUSTED_PROXIES = this machine) and, for
 * buyers, an account of its own; every call recorded under its endpoint tag.
 */
import { addressOf, SHIPPING_ADDRESS } from '../../k6/lib/fixtures.js'
import type { Recorder } from './recorder'

export type Answer = { status: number; body: any }

export class Client {
  constructor(
    private readonly baseUrl: string,
    private readonly recorder: Recorder,
    readonly runId: string,
  ) {}

  async call(
    n: number,
    tag: string,
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'x-forwarded-for': addressOf(n), ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const startedAt = performance.now()
    let status = 0
    let body: unknown
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      })
      status = response.status
      const text = await response.text()
      body = text ? JSON.parse(text) : undefined
    } catch {
      status = status || 599 // the connection failed: counted as a server error
    }
    this.recorder.record(tag, status, performance.now() - startedAt)
    if (status >= 500) this.recorder.add('server_errors')
    return { status, body }
  }

  async login(n: number, email: string, password: string): Promise<string> {
    const res = await this.call(n, 'login', 'POST', '/api/v1/auth/login', { body: { email, password } })
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.accessToken
  }

  /** Buyer `n` of this run: signed up from its own address (a 409 on a re-run is fine), then logged in. */
  async buyer(n: number): Promise<string> {
    const email = `load-${this.runId}-${n}@example.com`
    const password = `load-password-${n}`
    const res = await this.call(n, 'signup', 'POST', '/api/v1/auth/signup', {
      body: { email, password, name: `load user ${n}`, role: 'BUYER' },
    })
    if (res.status !== 201 && res.status !== 409) throw new Error(`signup ${email}: ${res.status}`)
    return this.login(n, email, password)
  }

  async productWithStock(stock: number, price = 10_000): Promise<number> {
    const seller = await this.login(0, 'seller@example.com', 'seller123!')
    const res = await this.call(0, 'create product', 'POST', '/api/v1/products', {
      token: seller,
      body: { name: `load product ${this.runId}`, price, stockQuantity: stock, status: 'ON_SALE' },
    })
    if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.id
  }

  placeOrder(n: number, token: string, productId: number, quantity = 1): Promise<Answer> {
    return this.call(n, 'order', 'POST', '/api/v1/orders', {
      token,
      body: { orderItems: [{ productId, quantity }], shippingAddress: SHIPPING_ADDRESS },
    })
  }

  pay(n: number, token: string, orderId: number): Promise<Answer> {
    return this.call(n, 'payment', 'POST', `/api/v1/orders/${orderId}/payment`, {
      token,
      headers: { 'idempotency-key': `load-${this.runId}-pay-${orderId}` },
    })
  }

  async setFaults(dependency: 'payment' | 'recommendation', change: Record<string, unknown>): Promise<void> {
    const admin = await this.login(0, 'admin@example.com', 'admin123!')
    const res = await this.call(0, 'faults', 'POST', '/api/v1/admin/faults', {
      token: admin,
      body: { dependency, ...change },
    })
    if (res.status !== 200) throw new Error(`faults: ${res.status} ${JSON.stringify(res.body)}`)
  }
}
