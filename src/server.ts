/**
 * `marketplace serve`, the composition root: createDeps → seed (embedded default) → createApp → listen → the
 * event flow (outbox relay and consumers). SIGTERM/SIGINT: graceful shutdown (see `shutdown`).
 */
import { createApp, maxRequestBodyBytes } from './app'
import type { Config } from './config'
import { seedDemoData } from './demo-data'
import { closeDeps, connectDeps, createDeps } from './deps'
import { startEventFlow } from './event-flow'
import { databaseInLog } from './platform/db/connections'

export async function serve(config: Config): Promise<void> {
  // a libSQL server that refuses the token or is unreachable stops the start with one clear message (no retry loop:
  // an orchestrator restarts the process, a person reads the message)
  const deps = await createDeps(config).catch((error: Error) => {
    console.error(error.message)
    process.exit(1)
  })
  const { logger } = deps
  if (!config.jwt.isSecretConfigured) {
    logger.warn('JWT_SECRET is not set: using a random secret, so tokens and cursors end with this process')
  }
  await connectDeps(deps).catch((error: Error) => {
    logger.warn(
      { err: error.message },
      'redis unreachable at start: serving without it, reconnecting in the background',
    )
  })
  if (config.seedDemoData) {
    const { membersCreated } = await seedDemoData(deps.database)
    logger.info({ membersCreated }, 'demo data ready')
  }

  const app = createApp(deps).listen({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: maxRequestBodyBytes(config),
    // SO_REUSEPORT (Elysia's default, said here): several instances on one port, the kernel spreading connections
    // over them (`bun run cluster`)
    reusePort: true,
  })
  deps.lifecycle.isReady = true
  logger.info({ port: app.server?.port, database: databaseInLog(config) }, 'marketplace listening')
  await startEventFlow(deps)

  let isShuttingDown = false
  /**
   * SIGTERM (an orchestrator): readiness DOWN, keep serving for SHUTDOWN_DRAIN_DELAY_MS so load balancers stop
   * routing here, then stop accepting and wait for in-flight requests (at most SHUTDOWN_GRACE_MS), close (the
   * outbox relay after its current batch, see closeDeps), exit 0. SIGINT (Ctrl-C at a terminal) skips the drain
   * delay.
   */
  async function shutdown(signal: 'SIGTERM' | 'SIGINT') {
    if (isShuttingDown) return
    isShuttingDown = true
    deps.lifecycle.isDraining = true
    logger.info({ signal }, 'draining')
    if (signal === 'SIGTERM') await Bun.sleep(config.shutdownDrainDelayMs)
    const grace = Bun.sleep(config.shutdownGraceMs)
    await Promise.race([app.server?.stop(false), grace])
    await closeDeps(deps)
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}
