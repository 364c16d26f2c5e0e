/**
 * Proves Swagger UI works with the network off (SPEC §4): starts the app on loopback, opens /swagger-ui in
 * Debian's headless Chromium with every request to any host but 127.0.0.1 aborted, and waits for the
 * operations list to render from /v3/api-docs, with no Content-Security-Policy violation on the way (the page's
 * CSP is strict, src/http/openapi.ts). Prints one verdict line; exits 1 on failure.
 *
 *   bun run check:swagger-offline        (needs `apt-get install chromium`; CHROMIUM_PATH overrides the binary, scripts/chromium.ts)
 */
import type { Browser } from 'playwright-core'
import { createTestApp } from '../test/support/harness'
import { launchChromium } from './chromium'

const RENDER_TIMEOUT_MS = 30_000
const EXPECTED_TITLE = 'Marketplace API'
const EXPECTED_OPERATION = '/api/v1/products/{id}'

type Verdict = { isOk: boolean; message: string }

async function checkSwaggerOffline(): Promise<Verdict> {
  const app = await createTestApp()
  const server = app.listen()
  const blocked: string[] = []
  const failedLocal: string[] = []
  const pageErrors: string[] = []
  const cspViolations: string[] = []
  let browser: Browser | undefined
  try {
    browser = await launchChromium()
    const page = await browser.newPage()
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url())
      if (url.hostname === '127.0.0.1') return route.continue()
      blocked.push(url.href)
      return route.abort('blockedbyclient')
    })
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
    })
    page.on('response', (response) => {
      if (response.status() >= 400) failedLocal.push(`${response.status()} ${response.url()}`)
    })

    await page.goto(`${server.baseUrl}/swagger-ui`, { waitUntil: 'domcontentloaded' })
    await page.waitForSelector('.opblock', { timeout: RENDER_TIMEOUT_MS })
    // expanding an operation renders its schemas and highlighted examples: more of the UI under the CSP
    await page.locator('.opblock .opblock-summary').first().click()
    await page.waitForSelector('.opblock-body', { timeout: RENDER_TIMEOUT_MS })

    const title = (await page.locator('.information-container .title').first().textContent())?.trim() ?? ''
    const operationPaths = await page.locator('.opblock .opblock-summary-path').allTextContents()
    const operationCount = operationPaths.length
    const hasProductOperation = operationPaths.some(
      (p) => p.replaceAll('\u200b', '').trim() === EXPECTED_OPERATION,
    )

    const problems = [
      !title.startsWith(EXPECTED_TITLE) && `title is "${title}", expected "${EXPECTED_TITLE}"`,
      !hasProductOperation && `operation ${EXPECTED_OPERATION} not rendered`,
      blocked.length > 0 && `page tried to reach the network: ${blocked.join(', ')}`,
      failedLocal.length > 0 && `local requests failed: ${failedLocal.join(', ')}`,
      pageErrors.length > 0 && `page errors: ${pageErrors.join(' | ')}`,
      cspViolations.length > 0 && `CSP violations: ${cspViolations.join(' | ')}`,
    ].filter((p): p is string => typeof p === 'string')

    return problems.length === 0
      ? { isOk: true, message: `rendered "${title}" with ${operationCount} operations, no external requests` }
      : { isOk: false, message: problems.join('; ') }
  } finally {
    await browser?.close()
    await server.stop()
    await app.close()
  }
}

try {
  const verdict = await checkSwaggerOffline()
  console.log(`swagger-ui offline: ${verdict.isOk ? 'OK' : 'FAILED'} — ${verdict.message}`)
  process.exit(verdict.isOk ? 0 : 1)
} catch (error) {
  console.log(`swagger-ui offline: FAILED — ${error instanceof Error ? error.message.split('\n')[0] : error}`)
  process.exit(1)
}
