/**
 * `bun run test`: starts the services the tests need (scripts/services.ts), runs `bun test` with their env
 * (extra arguments passed through), stops what it started, and exits with bun test's code. Services that were
 * already up (`bun run services:up`) are reused and left running.
 */
import { servicesDown, servicesUp } from './services'

const { env, isStarted } = await servicesUp()
console.error(
  `services: ${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`,
)

const child = Bun.spawn(['bun', 'test', ...process.argv.slice(2)], {
  env: { ...process.env, ...env },
  stdio: ['inherit', 'inherit', 'inherit'],
})
// Ctrl-C reaches bun test too (same process group); wait for it, then clean up below.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => child.kill('SIGTERM'))

const exitCode = await child.exited
if (isStarted) await servicesDown()
process.exit(exitCode)
