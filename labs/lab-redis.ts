/**
 * The Redis a lab runs against: a redis-server of its own, started by the project's tooling
 * (scripts/redis-server.ts: installed from apt when missing, failing loudly with how to get it otherwise) on a free
 * port of 127.0.0.1, no persistence, and stopped with its folder by `stop()` (call it in a `finally`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedis, stopRedis } from '../scripts/redis-server'
import { freePort } from '../scripts/service-processes'
import type { RedisHandle } from '../src/platform/redis/redis'

export type LabRedis = { url: string; stop(): Promise<void> }

export async function startLabRedis(): Promise<LabRedis> {
  const home = mkdtempSync(join(tmpdir(), 'marketplace-lab-redis-'))
  const stop = async () => {
    await stopRedis(home)
    rmSync(home, { recursive: true, force: true })
  }
  try {
    return { url: await startRedis(home, freePort(), false), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Every key in the lab's Redis, sorted: SCAN (never KEYS, which blocks a real Redis), as `redis-cli --scan` does. */
export async function redisKeysOf(redis: RedisHandle): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.run((c) => c.scan(cursor, 'COUNT', 500))
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}
