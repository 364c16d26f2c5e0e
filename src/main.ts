/**
 * The command line of `bun src/main.ts` and of the compiled binary `dist/marketplace` (`bun run build`):
 *   marketplace [serve]      start the server (the default)
 *   marketplace migrate      apply the database migrations and exit (the server also applies them at start)
 *   marketplace healthcheck  exit 0 when the server on this machine (PORT) says it is ready, 1 otherwise: the
 *                            container's HEALTHCHECK, which has no curl in a distroless image
 *   marketplace --version | --help
 * Configuration comes from the environment only (docs/configuration.md); a bad value stops any command with exit
 * code 1 and one line naming the variable. A wrong command line exits 2.
 */
import { parseArgs } from 'node:util'
import packageJson from '../package.json'
import { type Config, ConfigError, loadConfig } from './config'

const USAGE = `Usage: marketplace [command]

Commands:
  serve         start the server (default)
  migrate       apply the database migrations to DATABASE_URL and exit
  healthcheck   exit 0 when the local server (PORT) is ready, 1 otherwise

Options:
  -h, --help     show this help
  -v, --version  show the version

Configuration is read from environment variables (see docs/configuration.md).`

const HEALTHCHECK_TIMEOUT_MS = 2_000

function configOrExit(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

function commandLine(): { command: string | undefined; help: boolean; version: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    })
    if (positionals.length > 1) throw new Error(`one command at most, got: ${positionals.join(' ')}`)
    return { command: positionals[0], help: values.help === true, version: values.version === true }
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
}

async function migrate(config: Config): Promise<void> {
  const { closeDatabase, databaseInLog, openConfiguredDatabase } = await import('./platform/db/connections')
  const database = await openConfiguredDatabase(config.database).catch((error: Error) => {
    console.error(error.message)
    process.exit(1)
  })
  closeDatabase(database)
  console.log(`migrations applied to ${JSON.stringify(databaseInLog(config))}`)
}

/** The readiness of the server listening on this machine's PORT (the host it binds, or loopback for any). */
async function healthcheck(config: Config): Promise<never> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/actuator/health/readiness`
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) })
    const body = (await response.json().catch(() => ({}))) as { status?: string }
    console.log(`${url}: ${response.status} ${body.status ?? ''}`.trim())
    process.exit(response.status === 200 && body.status === 'UP' ? 0 : 1)
  } catch (error) {
    console.error(`${url}: ${(error as Error).message}`)
    process.exit(1)
  }
}

const { command, help, version } = commandLine()
if (help) {
  console.log(USAGE)
  process.exit(0)
}
if (version) {
  const commit = process.env.GIT_COMMIT ? `commit ${process.env.GIT_COMMIT}, ` : ''
  console.log(`marketplace ${packageJson.version} (${commit}bun ${Bun.version})`)
  process.exit(0)
}
switch (command ?? 'serve') {
  case 'serve': {
    const { serve } = await import('./server')
    await serve(configOrExit())
    break
  }
  case 'migrate':
    await migrate(configOrExit())
    break
  case 'healthcheck':
    await healthcheck(configOrExit())
    break
  default:
    console.error(`unknown command: ${command}\n\n${USAGE}`)
    process.exit(2)
}
