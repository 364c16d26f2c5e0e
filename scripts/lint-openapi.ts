/**
 * Lints the OpenAPI document the app serves with Redocly CLI, under the rules of redocly.yaml (recommended-strict
 * plus what client generators need). Starts nothing external: the app is built in-process on a throwaway
 * database, exactly as main.ts builds it, /v3/api-docs is fetched through app.handle and written to a temp file,
 * and the CLI (a devDependency) runs under Bun with its telemetry and update check off. Exits with Redocly's status.
 *
 *   bun run lint:openapi
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { closeDeps, createDeps } from '../src/deps'

const REDOCLY_CLI = join(import.meta.dir, '../node_modules/@redocly/cli/bin/cli.js')
const CONFIG_FILE = join(import.meta.dir, '../redocly.yaml')

async function fetchDocument(dir: string): Promise<string> {
  const deps = await createDeps(
    loadConfig({
      DATABASE_URL: `file:${join(dir, 'lint.db')}`,
      UPLOAD_DIR: join(dir, 'uploads'),
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: 'silent',
    }),
  )
  try {
    const response = await createApp(deps).handle(new Request('http://localhost/v3/api-docs'))
    if (response.status !== 200)
      throw new Error(`GET /v3/api-docs: ${response.status} ${await response.text()}`)
    return JSON.stringify(await response.json(), null, 2)
  } finally {
    await closeDeps(deps)
  }
}

const dir = mkdtempSync(join(tmpdir(), 'marketplace-openapi-'))
try {
  const file = join(dir, 'openapi.json')
  writeFileSync(file, await fetchDocument(dir))
  const lint = Bun.spawnSync(
    [process.execPath, '--bun', REDOCLY_CLI, 'lint', file, '--config', CONFIG_FILE, '--format', 'stylish'],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  )
  process.exitCode = lint.exitCode ?? 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
