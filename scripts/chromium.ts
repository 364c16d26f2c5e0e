/**
 * Debian's headless Chromium driven by playwright-core (no browser download: the machine's own binary). The
 * binary is CHROMIUM_PATH, else /usr/bin/chromium, else `chromium` on PATH; none found is a loud failure that
 * says how to install it. Used by `bun run check:swagger-offline` and the lab report test.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Headless, and quiet: no background services of the browser's own that would try the network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
]

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', Bun.which('chromium')]
  const found = candidates.find((path): path is string => !!path && existsSync(path))
  if (!found) {
    throw new Error(
      'Chromium is not installed: `sudo apt-get install chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a ' +
        'Chromium or Chrome binary',
    )
  }
  return found
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS })
}
