/**
 * Not a test of its own: test/platform/sqld.test.ts runs it as `bun test ./test/support/sqld-run-fixture.ts`, a
 * run that starts the shared sqld pair, prints its pid and URLs, and waits to be killed (SIGINT, SIGTERM).
 */
import { expect, test } from 'bun:test'
import { SERVICE_START_TIMEOUT_MS, useSqld } from './services'

test(
  'holds the run open with its sqld until a signal ends it',
  async () => {
    const { primaryUrl, replicaUrl } = await useSqld()
    console.log(`SQLD_RUN pid=${process.pid} primary=${primaryUrl} replica=${replicaUrl}`)
    await Bun.sleep(SERVICE_START_TIMEOUT_MS)
    expect.unreachable('the signal should have ended the run')
  },
  SERVICE_START_TIMEOUT_MS * 2,
)
