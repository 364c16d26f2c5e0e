/**
 * A throwaway redis-server on a free port of 127.0.0.1, no persistence (no RDB snapshots, no AOF): installed
 * from Debian with apt-get when missing, its pid and log in a `home` folder of the caller's choosing
 * (`.services/` for `services:up`, a folder per `bun test` run for the tests), ready once it answers PING.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { installFromApt } from './apt-tools'
import { killPidNow, livePid, stopPid } from './service-processes'

const READY_TIMEOUT_MS = 10_000
const STOP_GRACE_MS = 5_000

/** redis-server and redis-cli, from apt-get (as root, else through sudo) when either is missing. */
export function installRedisWhenMissing(): void {
  if (installFromApt('redis-server', ['redis-server', 'redis-cli'])) return
  throw new Error(
    'redis-server is missing and apt-get could not install it: install it yourself (Debian/Ubuntu: ' +
      '`sudo apt-get install redis-server`; elsewhere see https://redis.io/docs/latest/operate/oss_and_stack/install/)',
  )
}

export function isRedisAnswering(url: string): boolean {
  const result = Bun.spawnSync(['redis-cli', '-u', url, 'ping'], { stderr: 'ignore' })
  return result.success && result.stdout.toString().trim() === 'PONG'
}

const pidFileIn = (home: string) => join(home, 'redis.pid')

/** The redis-server whose pid is in `home`, when it runs. */
export const redisPid = (home: string) => livePid(pidFileIn(home))

/**
 * Starts a redis-server on a free port, its pid in `home`/redis.pid and its log in `home`/redis.log, and resolves
 * with its URL once it answers PING. `isDetached`: in a session of its own, so that it outlives the caller
 * (`services:up`); otherwise it stays in the caller's process group, and a Ctrl-C in the terminal reaches it too.
 */
export async function startRedis(home: string, port: number, isDetached: boolean): Promise<string> {
  installRedisWhenMissing()
  mkdirSync(home, { recursive: true })
  const url = `redis://127.0.0.1:${port}`
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']
  const log = openSync(join(home, 'redis.log'), 'a')
  const child = Bun.spawn(['redis-server', ...args, '--dir', home], {
    detached: isDetached,
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  child.unref()
  writeFileSync(pidFileIn(home), `${child.pid}\n`)
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!isRedisAnswering(url)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: see ${join(home, 'redis.log')}`)
    if (Date.now() > deadline) throw new Error(`redis on ${url} did not answer PING within 10 s`)
    await Bun.sleep(50)
  }
  return url
}

/** Stops the redis-server of `home` (SIGTERM, SIGKILL after 5 s); safe to call any number of times. */
export const stopRedis = (home: string) => stopPid(pidFileIn(home), STOP_GRACE_MS)

/** SIGKILL, synchronously: for exit paths (only a process that is a redis-server). */
export const killRedisNow = (home: string) => killPidNow(pidFileIn(home), 'redis-server')
