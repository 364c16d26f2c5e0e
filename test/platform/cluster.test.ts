/**
 * `bun run cluster` (scripts/cluster.ts), the scale-out path on one machine: two instances on ONE port
 * (SO_REUSEPORT), each with its own embedded replica of a sqld primary, sharing Redis, Kafka and a JWT secret. A
 * token from a login is accepted by whichever instance a later connection lands on (the kernel spreads fresh
 * connections by their addresses), orders go through, one recommendation simulator serves both (an outage injected
 * through either is felt by both), and Ctrl-C stops everything cleanly.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../scripts/service-processes'
import { PROJECT_ROOT } from '../support/paths'
import { waitForOutput } from '../support/process-output'
import { api, orderBody } from '../support/server-process'
import { useFreshSqld, useKafka, useRedis } from '../support/services'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-cluster-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sqld = useFreshSqld()

describe('bun run cluster -- --instances 2', () => {
  test('two instances on one port share the database, Redis and the secret; Ctrl-C stops both', async () => {
    const port = freePort()
    const cluster = Bun.spawn(
      [
        'bun',
        join(PROJECT_ROOT, 'scripts', 'cluster.ts'),
        '--instances',
        '2',
        '--port',
        String(port),
        '--dir',
        dir,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          REDIS_URL: await useRedis(),
          KAFKA_BROKERS: await useKafka(),
          SQLD_URL: sqld.primary.url,
          SQLD_REPLICA_URL: sqld.replica.url,
          REDIS_KEY_PREFIX: `cluster-test-${port}:`,
          KAFKA_TOPIC_PREFIX: `cluster-test-${port}.`,
        },
        stdout: 'pipe',
        stderr: 'inherit',
      },
    )
    try {
      const output = cluster.stdout as ReadableStream<Uint8Array>
      // two "listening" lines, one per instance, both on the one port
      await waitForOutput(
        output,
        new RegExp(`"port":${port}[^\\n]*listening[\\s\\S]*"port":${port}[^\\n]*listening`),
      )
      const base = `http://127.0.0.1:${port}`
      const login = await api(base, 'POST', '/api/v1/auth/login', {
        body: { email: 'buyer@example.com', password: 'buyer123!' },
      })
      expect(login.status, login.text).toBe(200)
      const token = login.body.accessToken as string
      // fresh connections (no keep-alive) land on either instance: every one accepts the token
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${base}/api/v1/members/me`, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          }).then((r) => r.status),
        ),
      )
      expect(new Set(answers)).toEqual(new Set([200]))
      const order = await api(base, 'POST', '/api/v1/orders', {
        token,
        body: orderBody([{ productId: 1, quantity: 1 }]),
      })
      expect(order.status, order.text).toBe(201)

      // one recommendation simulator for both: an outage injected through whichever instance answers reaches all
      const admin = await api(base, 'POST', '/api/v1/auth/login', {
        body: { email: 'admin@example.com', password: 'admin123!' },
      })
      const broken = await api(base, 'POST', '/api/v1/admin/faults', {
        token: admin.body.accessToken,
        body: { dependency: 'recommendation', mode: 'outage' },
      })
      expect(broken.status, broken.text).toBe(200)
      const sources = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${base}/api/v1/products/recommendations`, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          }).then(async (r) => ((await r.json()) as { source: string }).source),
        ),
      )
      expect(new Set(sources)).toEqual(new Set(['fallback']))
    } finally {
      cluster.kill('SIGINT')
      expect(await cluster.exited).toBe(0)
    }
  }, 120_000)
})
