import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBinary } from '../../scripts/build'
import { type SqldServer, startSqld } from '../../scripts/sqld'
import { MAIN_ENTRY, PROJECT_ROOT } from '../support/paths'
import { waitForOutput } from '../support/process-output'

// The deployable artifact is one compiled binary (SPEC §1), built by scripts/build.ts as `bun run build` builds
// it. Each binary runs from an empty folder, far from the source tree and its node_modules, with nothing in its
// environment but PATH (and TMPDIR), so a file the binary fails to embed (migrations, Swagger UI assets, libSQL's
// native module) fails here.
const dir = mkdtempSync(join(tmpdir(), 'marketplace-binary-'))
const binary = join(dir, 'marketplace')
const servers: ReturnType<typeof Bun.spawn>[] = []
let sqld: SqldServer | undefined
beforeAll(() => buildBinary(MAIN_ENTRY, binary), 120_000)
afterAll(async () => {
  for (const server of servers) server.kill()
  await sqld?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The binary in a folder of its own with only `env` (and PATH); resolves once it listens. */
async function runServer(env: Record<string, string> = {}, args: string[] = []) {
  const server = Bun.spawn([binary, ...args], {
    cwd: mkdtempSync(join(dir, 'run-')),
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  servers.push(server)
  const [, port] = await waitForOutput(
    server.stdout as ReadableStream<Uint8Array>,
    /"port":(\d+)[^\n]*listening/,
  )
  return { server, port: Number(port), baseUrl: `http://127.0.0.1:${port}` }
}

/** runServer's base URL. */
async function startBinary(env: Record<string, string> = {}): Promise<string> {
  return (await runServer(env)).baseUrl
}

/** One run of the binary to its end, from an empty folder. */
function runBinary(args: string[], env: Record<string, string> = {}) {
  const run = Bun.spawnSync([binary, ...args], {
    cwd: mkdtempSync(join(dir, 'cli-')),
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  return { exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() }
}

describe('the command line', () => {
  test('--help and --version answer 0; a wrong command line 2, with the usage', () => {
    const help = runBinary(['--help'])
    expect(help.exitCode).toBe(0)
    for (const command of ['serve', 'migrate', 'healthcheck']) expect(help.stdout).toContain(command)
    const version = runBinary(['--version'], { GIT_COMMIT: 'abc1234' })
    expect(version.exitCode).toBe(0)
    expect(version.stdout).toMatch(/^marketplace \d+\.\d+\.\d+ \(commit abc1234, bun \d+\.\d+\.\d+\)/)
    for (const wrong of [['launch'], ['--frobnicate'], ['serve', 'migrate']]) {
      const run = runBinary(wrong)
      expect(run.exitCode, wrong.join(' ')).toBe(2)
      expect(run.stderr).toContain('Usage: marketplace')
    }
  })

  test('a bad setting stops any command with 1 and names the variable', () => {
    for (const command of [[], ['migrate'], ['healthcheck']]) {
      const run = runBinary(command, { RATE_LIMIT_IP_PER_SECOND: 'lots' })
      expect(run.exitCode, command.join(' ')).toBe(1)
      expect(run.stderr).toContain('RATE_LIMIT_IP_PER_SECOND')
    }
  })

  test('migrate creates and migrates the database file, and exits', () => {
    const run = runBinary(['migrate'], { DATABASE_URL: `file:${join(dir, 'migrated.db')}` })
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('migrations applied')
    expect(readdirSync(dir)).toContain('migrated.db')
  })

  test('healthcheck is 1 when nothing listens on PORT', () => {
    const run = runBinary(['healthcheck'], { PORT: '1' })
    expect(run.exitCode).toBe(1)
  })
})

describe('compiled binary', () => {
  test('smoke: starts from an empty folder, healthy, a buyer logs in and orders, Swagger UI, SIGTERM → 0', async () => {
    const startedAt = performance.now()
    const { server, port, baseUrl: base } = await runServer({ SHUTDOWN_DRAIN_DELAY_MS: '0' }, ['serve'])
    console.log(
      `[binary] ${(statSync(binary).size / 1e6).toFixed(1)} MB, listening ${Math.round(performance.now() - startedAt)} ms after spawn (first start: migrations and demo data)`,
    )
    expect(runBinary(['healthcheck'], { PORT: String(port), HOST: '127.0.0.1' }).exitCode).toBe(0)
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'buyer@example.com', password: 'buyer123!' }),
    })
    expect(login.status).toBe(200)
    const { accessToken } = (await login.json()) as { accessToken: string }
    const order = await fetch(`${base}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({
        orderItems: [{ productId: 1, quantity: 1 }],
        shippingAddress: {
          zipCode: '06236',
          address: 'Seoul',
          receiverName: 'Kim',
          receiverPhone: '010-1234-5678',
        },
      }),
    })
    expect(order.status, await order.clone().text()).toBe(201)
    const ui = await fetch(`${base}/swagger-ui/assets/swagger-ui-bundle.js`)
    expect(ui.status).toBe(200)
    server.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(runBinary(['healthcheck'], { PORT: String(port), HOST: '127.0.0.1' }).exitCode).toBe(1)
  }, 120_000)

  test('builds, starts from an empty folder, migrates, seeds and serves the API and its docs', async () => {
    const base = await startBinary()

    const product = (await fetch(`${base}/api/v1/products/1`).then((r) => r.json())) as { name: string }
    expect(product.name).toBe('Laptop')
    const docs = (await fetch(`${base}/v3/api-docs`).then((r) => r.json())) as { paths: object }
    expect(Object.keys(docs.paths)).toContain('/api/v1/products/{id}')
    const asset = await fetch(`${base}/swagger-ui/assets/swagger-ui-bundle.js`)
    expect(asset.status).toBe(200)
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
  }, 120_000)
})

// A plain `bun build --compile` of @libsql/client dies at start-up with "Cannot find module
// '@libsql/linux-x64-gnu'", whatever the URL (scripts/build.ts says why and how the build embeds the module).
// scripts/libsql-probe.ts, built the same way, drives the real client against a real sqld primary.
describe('compiled binary with @libsql/client', () => {
  const probe = join(dir, 'libsql-probe')
  const probeDir = join(dir, 'probe-run')
  const probeTmp = join(dir, 'probe-tmp')

  beforeAll(async () => {
    await buildBinary(join(PROJECT_ROOT, 'scripts', 'libsql-probe.ts'), probe)
    mkdirSync(probeDir)
    mkdirSync(probeTmp)
    sqld = await startSqld({ dir: join(dir, 'sqld') })
  }, 120_000)

  function runProbe(env: Record<string, string>) {
    const run = Bun.spawnSync([probe], {
      cwd: probeDir,
      env: { PATH: process.env.PATH ?? '', TMPDIR: probeTmp, ...env },
    })
    return { exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() }
  }

  function probeRows(env: Record<string, string>): unknown {
    const run = runProbe(env)
    expect(run.exitCode, run.stderr).toBe(0)
    return (JSON.parse(run.stdout) as { rows: unknown }).rows
  }

  test('writes and reads on sqld over http://, and as an embedded replica (file: + syncUrl) of it', () => {
    const primary = { PROBE_URL: (sqld as SqldServer).url }
    const replica = { PROBE_URL: 'file:replica.db', PROBE_SYNC_URL: (sqld as SqldServer).url }

    expect(probeRows(primary)).toEqual(['remote'])
    // the replica pulled the primary's row and its own write went through to the primary
    expect(probeRows(replica)).toEqual(['remote', 'replica'])
    expect(probeRows(primary)).toEqual(['remote', 'replica', 'remote'])
    // the native module came out of the binary (written to TMPDIR to be loaded), not from a node_modules
    expect(readdirSync(probeTmp).filter((name) => name.endsWith('.node'))).toHaveLength(1)
  }, 60_000)

  test('the app binary on a sqld primary, and a second one as an embedded replica of it: orders and reads', async () => {
    // the cache off: each read shows what the database the instance reads from holds
    const shared = {
      JWT_SECRET: 'binary-test-secret-0123456789abcdef-0123',
      SEED_DEMO_DATA: 'true',
      CACHE_ENABLED: 'false',
    }
    const onPrimary = await startBinary({ ...shared, DATABASE_URL: (sqld as SqldServer).url })
    const asReplica = await startBinary({
      ...shared,
      DATABASE_URL: 'file:replica.db',
      DATABASE_SYNC_URL: (sqld as SqldServer).url,
      DATABASE_SYNC_INTERVAL_MS: '100',
    })
    const stockOn = async (base: string) =>
      ((await fetch(`${base}/api/v1/products/2`).then((r) => r.json())) as { stockQuantity: number })
        .stockQuantity
    const initial = await stockOn(onPrimary)
    const login = await fetch(`${asReplica}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'buyer@example.com', password: 'buyer123!' }),
    }).then(async (r) => {
      expect(r.status, 'login through the replica instance').toBe(200)
      return (await r.json()) as { accessToken: string }
    })
    const order = await fetch(`${asReplica}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` },
      body: JSON.stringify({
        orderItems: [{ productId: 2, quantity: 3 }],
        shippingAddress: {
          zipCode: '12345',
          address: 'Seoul',
          receiverName: 'Kim',
          receiverPhone: '010-1234-5678',
        },
      }),
    })
    expect(order.status, await order.clone().text()).toBe(201)

    expect(await stockOn(onPrimary), 'the stock on the primary').toBe(initial - 3) // written through
    // and synced back into the replica file the second binary reads (within a few sync intervals)
    let onReplica = await stockOn(asReplica)
    for (let i = 0; i < 50 && onReplica !== initial - 3; i++) {
      await Bun.sleep(50)
      onReplica = await stockOn(asReplica)
    }
    expect(onReplica, 'the stock in the replica file').toBe(initial - 3)
  }, 60_000)

  test('without a writable TMPDIR it fails at start-up with a message that says what it needs', () => {
    const run = runProbe({ PROBE_URL: 'file:unused.db', TMPDIR: join(dir, 'no-such-folder') })

    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('TMPDIR must be a writable folder')
  })
})
