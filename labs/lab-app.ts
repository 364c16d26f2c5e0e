/**
 * The app a lab runs against: the real createDeps + createApp on a fresh database file (demo data seeded), asked
 * through `app.handle` — the same HTTP stack as a server (validation, auth, idempotency, rate limits), without a
 * port. Removed with everything in it by `close`. `env` goes on top of the defaults: a lab on a libSQL server sets
 * DATABASE_URL (and DATABASE_REPLICA_URLS) to it; `sqlite` and `count` exist for a local file only.
 * The demo members (db/demo-data.ts, fixed ids) are who a lab acts as: `loginAs(role)` through the API, or
 * `demoPrincipal(role)` for a lab that calls services directly.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO_MEMBERS } from '../db/demo-data'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { seedDemoData } from '../src/demo-data'
import { closeDeps, connectDeps, createDeps, type Deps } from '../src/deps'
import type { Principal } from '../src/modules/auth/principal'
import { localFileOf } from '../src/platform/db/connections'

export type LabAnswer = { status: number; headers: Headers; body: any }

export const SHIPPING_ADDRESS = {
  zipCode: '06236',
  address: 'Seoul',
  receiverName: 'Kim',
  receiverPhone: '010-1234-5678',
}

/** A lab app's configuration: its database file and uploads in `dir`, quiet, `env` on top. */
export function labConfig(dir: string, env: Record<string, string> = {}) {
  return loadConfig({
    DATABASE_URL: `file:${join(dir, 'lab.db')}`,
    JWT_SECRET: 'lab-secret-that-is-long-enough-for-hs256-0123456789',
    LOG_LEVEL: 'silent',
    UPLOAD_DIR: join(dir, 'uploads'),
    ...env,
  })
}

type DemoRole = (typeof DEMO_MEMBERS)[number]['role']

const demoMemberOf = (role: DemoRole) => DEMO_MEMBERS.find((member) => member.role === role)!

/** The seeded demo member of `role` as services see a signed-in caller (no token: services take it as it is). */
export function demoPrincipal(role: DemoRole): Principal {
  return { memberId: demoMemberOf(role).id, role, jti: 'lab', expiresAt: 0 }
}

export async function openLabApp(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'marketplace-lab-')) // if this throws, there is nothing to remove
  let deps: Deps | undefined
  try {
    deps = await createDeps(labConfig(dir, env))
    await connectDeps(deps)
    await seedDemoData(deps.database)
  } catch (error) {
    // the first error is the one to report: a failing close must not hide it, nor keep the folder
    if (deps) await closeDeps(deps).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  deps.lifecycle.isReady = true
  const app = createApp(deps)

  async function request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<LabAnswer> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const response = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      }),
    )
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await request('POST', '/api/v1/auth/login', { body: { email, password } })
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`)
    return res.body.accessToken
  }

  return {
    deps: deps,
    request,
    /** the local database file's connection (a lab on a libSQL server has none: this throws) */
    get sqlite() {
      return localFileOf(deps.database).sqlite
    },
    login,
    /** an access token of the seeded demo member of `role` */
    loginAs(role: DemoRole): Promise<string> {
      const { email, password } = demoMemberOf(role)
      return login(email, password)
    },
    count(table: 'orders'): number {
      return (
        localFileOf(deps.database).sqlite.query(`select count(*) as n from ${table}`).get() as { n: number }
      ).n
    },
    async close() {
      await closeDeps(deps)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export type LabApp = Awaited<ReturnType<typeof openLabApp>>
