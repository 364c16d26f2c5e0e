/**
 * Swagger UI must work offline (SPEC §4): the page at /swagger-ui references only assets this app serves, and
 * serves them. scripts/check-swagger-offline.ts proves the same in a real browser with the network blocked.
 */
import { describe, expect, test } from 'bun:test'
import { expectProblem, useTestApp } from '../support/harness'

const { t } = useTestApp()

describe('GET /swagger-ui', () => {
  test('serves HTML titled "Marketplace API" whose scripts and stylesheets are all local', async () => {
    const res = await t.request('GET', '/swagger-ui')
    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('content-type'), res.text).toContain('text/html')
    expect(res.text).toContain('<title>Marketplace API</title>')
    const assets = assetUrlsOf(res.text)
    expect(assets.scripts.length, res.text).toBeGreaterThan(0)
    expect(assets.stylesheets.length, res.text).toBeGreaterThan(0)
    for (const url of [...assets.scripts, ...assets.stylesheets]) {
      expect(url, res.text).toMatch(/^\/(?!\/)/)
    }
    expect(res.text).not.toMatch(/<(script|link)[^>]*(https?:)?\/\/[a-z0-9]/i)
  })

  test('every asset the page references is served with a JavaScript or CSS content type', async () => {
    const page = await t.request('GET', '/swagger-ui')
    const { scripts, stylesheets } = assetUrlsOf(page.text)
    for (const [urls, type] of [
      [scripts, /^(text|application)\/javascript/],
      [stylesheets, /^text\/css/],
    ] as const) {
      for (const url of urls) {
        const res = await t.request('GET', url)
        expect(res.status, `${url}: ${res.text.slice(0, 200)}`).toBe(200)
        expect(res.headers.get('content-type'), url).toMatch(type)
        expect(res.text.length, url).toBeGreaterThan(1000)
      }
    }
  })

  test('an unknown asset is a 404 problem', async () => {
    expectProblem(await t.request('GET', '/swagger-ui/assets/nope.js'), 404, 'NOT_FOUND')
  })

  test('/swagger-ui.html redirects to /swagger-ui', async () => {
    const res = await t.request('GET', '/swagger-ui.html')
    expect([301, 302, 307, 308], res.text).toContain(res.status)
    expect(res.headers.get('location')).toBe('/swagger-ui')
  })
})

function assetUrlsOf(html: string): { scripts: string[]; stylesheets: string[] } {
  const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] as string)
  const stylesheets = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map(
    (m) => m[1] as string,
  )
  return { scripts, stylesheets }
}
