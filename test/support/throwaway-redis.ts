/**
 * A redis-server of a test's own, on a free port, for tests that stop or kill it (the shared one of the run must
 * stay up for the other files): `useThrowawayRedis()` starts it before the file's (or describe's) tests and kills
 * it after them.
 */
import { afterAll, beforeAll, expect } from 'bun:test'
import Redis from 'ioredis'
import { installRedisWhenMissing } from '../../scripts/redis-server'
import { SERVICE_START_TIMEOUT_MS } from './services'

export function redisCli(url: string, ...args: string[]): string {
  const result = Bun.spawnSync(['redis-cli', '-u', url, ...args], { stderr: 'pipe' })
  return result.stdout.toString().trim() + result.stderr.toString().trim()
}

/** On a free port, or on `port` (to bring a killed one back at the same address). */
export async function startThrowawayRedis(
  port = freePort(),
): Promise<{ url: string; process: Bun.Subprocess }> {
  installRedisWhenMissing()
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']
  const process = Bun.spawn(['redis-server', ...args], { stdout: 'ignore', stderr: 'ignore' })
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; i < 200 && redisCli(url, 'ping') !== 'PONG'; i++) await Bun.sleep(25)
  expect(redisCli(url, 'ping')).toBe('PONG')
  return { url, process }
}

export type ThrowawayRedis = {
  url: string
  process: Bun.Subprocess
  /** Starts it again on the same port (after a test killed it); `process` is the new one. */
  restart(): Promise<void>
}

/**
 * A throwaway redis-server for the file (or the `describe` it is called in): started by a beforeAll (so read it
 * in hooks and tests), killed by an afterAll, thawed first in case a test left it frozen (SIGSTOP).
 */
export function useThrowawayRedis(): ThrowawayRedis {
  const redis = {
    async restart() {
      Object.assign(redis, await startThrowawayRedis(Number(new URL(redis.url).port)))
    },
  } as ThrowawayRedis
  beforeAll(async () => {
    Object.assign(redis, await startThrowawayRedis())
  }, SERVICE_START_TIMEOUT_MS)
  afterAll(() => {
    redis.process?.kill('SIGCONT')
    redis.process?.kill('SIGKILL')
  })
  return redis
}

export type MonitoredCommand = { args: string[]; source: string }

/**
 * Every command Redis runs from now on, as Redis itself reports it (MONITOR), in the order it ran them, with the
 * connection (`source`, ip:port) that sent it. `through(marker)` waits until Redis has run `ECHO <marker>` and
 * returns the commands up to and including it: send that ECHO last on a connection, and once Redis has run it,
 * it has run everything that connection sent before.
 */
export async function monitorRedis(url: string) {
  // lazyConnect: monitor() opens a connection of its own; this client never connects
  const monitor = await new Redis(url, { lazyConnect: true }).monitor()
  const commands: MonitoredCommand[] = []
  monitor.on('monitor', (_time: string, args: string[], source: string) => commands.push({ args, source }))
  return {
    async through(marker: string): Promise<MonitoredCommand[]> {
      const isMarker = (c: MonitoredCommand) => c.args[0]?.toLowerCase() === 'echo' && c.args[1] === marker
      for (let i = 0; i < 400 && !commands.some(isMarker); i++) await Bun.sleep(25)
      const end = commands.findIndex(isMarker)
      expect(end, `Redis never ran ECHO ${marker}`).toBeGreaterThanOrEqual(0)
      return commands.slice(0, end + 1)
    },
    close: () => monitor.disconnect(),
  }
}

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}
