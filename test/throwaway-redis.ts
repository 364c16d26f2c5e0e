/**
 * A redis-server of a test's own, on a free port, for tests that stop or kill it (the shared one that
 * `bun run test` starts must stay up for the other files). The caller kills it in afterAll.
 */
import { expect } from 'bun:test'

export function redisCli(url: string, ...args: string[]): string {
  const result = Bun.spawnSync(['redis-cli', '-u', url, ...args], { stderr: 'pipe' })
  return result.stdout.toString().trim() + result.stderr.toString().trim()
}

/** On a free port, or on `port` (to bring a killed one back at the same address). */
export async function startThrowawayRedis(
  port = freePort(),
): Promise<{ url: string; process: Bun.Subprocess }> {
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']
  const process = Bun.spawn(['redis-server', ...args], { stdout: 'ignore', stderr: 'ignore' })
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; i < 200 && redisCli(url, 'ping') !== 'PONG'; i++) await Bun.sleep(25)
  expect(redisCli(url, 'ping')).toBe('PONG')
  return { url, process }
}

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}
