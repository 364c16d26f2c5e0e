import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../support/paths'
import { waitForOutput } from '../support/process-output'

// The deployable artifact is one compiled binary (SPEC §1). This builds it and runs it from an empty folder,
// far from the source tree, so a missing embedded file (migrations, Swagger UI assets) fails here.
const dir = mkdtempSync(join(tmpdir(), 'marketplace-binary-'))
let server: ReturnType<typeof Bun.spawn> | undefined
afterAll(() => {
  server?.kill()
  rmSync(dir, { recursive: true, force: true })
})

describe('compiled binary', () => {
  test('builds, starts from an empty folder, migrates, seeds and serves the API and its docs', async () => {
    const binary = join(dir, 'marketplace')
    const build = Bun.spawnSync(['bun', 'build', '--compile', 'src/main.ts', '--outfile', binary], {
      cwd: PROJECT_ROOT,
    })
    expect(build.exitCode, build.stderr.toString()).toBe(0)

    const runDir = mkdtempSync(join(dir, 'run-'))
    server = Bun.spawn([binary], {
      cwd: runDir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1' },
      stdout: 'pipe',
      stderr: 'inherit',
    })
    const [, port] = await waitForOutput(
      server.stdout as ReadableStream<Uint8Array>,
      /"port":(\d+)[^\n]*listening/,
    )
    const base = `http://127.0.0.1:${port}`

    const product = (await fetch(`${base}/api/v1/products/1`).then((r) => r.json())) as { name: string }
    expect(product.name).toBe('Laptop')
    const docs = (await fetch(`${base}/v3/api-docs`).then((r) => r.json())) as { paths: object }
    expect(Object.keys(docs.paths)).toContain('/api/v1/products/{id}')
    const asset = await fetch(`${base}/swagger-ui/assets/swagger-ui-bundle.js`)
    expect(asset.status).toBe(200)
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
  }, 120_000)
})
