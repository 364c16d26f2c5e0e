/**
 * Requests to a listening test server from a chosen loopback address (127.0.0.2, 127.0.0.3, …: Linux routes
 * all of 127.0.0.0/8 to the loopback interface), so per-address limits see distinct clients without trusting
 * any forwarded header. node:http's `localAddress` binds the client socket; fetch cannot choose it.
 */
import http from 'node:http'
import type { TestResponse } from './harness'

export function requestFrom(
  localAddress: string,
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<TestResponse> {
  const url = new URL(path, baseUrl)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          const headers = new Headers()
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
          }
          let parsed: unknown = text
          try {
            parsed = text ? JSON.parse(text) : undefined
          } catch {}
          resolve({ status: response.statusCode ?? 0, headers, body: parsed, text })
        })
      },
    )
    request.on('error', reject)
    request.end(payload)
  })
}

/** Sign-in from `localAddress`. */
export function loginFrom(localAddress: string, baseUrl: string, email: string, password: string) {
  return requestFrom(localAddress, baseUrl, 'POST', '/api/v1/auth/login', { email, password })
}
