/**
 * The command line of `bun src/main.ts` and of the compiled binary `dist/marketplace` (`bun run build`):
 *   marketplace [serve]      start the server (the default)
 *   marketplace migrate      apply the database migrations and exit (the server also applies them at start)
 *   marketplace healthcheck [url]
 *                            exit 0 when the server on this machine (PORT) says it is ready, 1 otherwise: the
 *                            container's HEALTHCHECK, which has no curl in a distroless image; with a URL, exit 0
 *                            when that URL answers 200 (the simulators' containers)
 *   marketplace simulate <payment-gateway|recommendations>
 *                            run a dependency simulator (src/simulators) on PORT, for several instances to share
 *   marketplace --version | --help
 * Configuration comes from the environment only (docs/configuration.md); a bad value stops any command with exit
 * code 1 and one line naming the variable. A wrong command line exits 2.
 */
import { parseArgs } from 'node:util'
import packageJson from '../package.json'
import { type Config, ConfigError, loadConfig, loadSimulatorConfig } from './config'

const USAGE = `Usage: marketplace [command]

Commands:
  serve         start the server (default)
  migrate       apply the database migrations to DATABASE_URL and exit
  healthcheck [url]
                exit 0 when the local server (PORT) is ready, 1 otherwise; with a URL: when it answers 200
  simulate <payment-gateway|recommendations>
                run a dependency simulator on PORT (default 7101 / 7102) for several instances to share

Options:
  -h, --help     show this help
  -v, --version  show the version

Configuration is read from environment variables (see docs/configuration.md).`

const HEALTHCHECK_TIMEOUT_MS = 2_000

function configOrExit(): Config {
  return orExit(() => loadConfig())
}

/** A configuration or, when a variable is bad, its message on stderr and exit 1 (no stack trace). */
function orExit<T>(load: () => T): T {
  try {
    return load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

type CommandLine = { command?: string; argument?: string; help: boolean; version: boolean }

function commandLine(): CommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    })
    const [command, argument, ...rest] = positionals
    const takesArgument = command === 'simulate' || command === 'healthcheck'
    if (rest.length > 0 || (argument !== undefined && !takesArgument)) {
      throw new Error(`unexpected arguments: ${positionals.join(' ')}`)
    }
    return { command, argument, help: values.help === true, version: values.version === true }
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
function readinessUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/actuator/health/readiness`
}

/** Exits 0 when `url` answers 200 (and, for the server's readiness, says UP), 1 otherwise. */
async function healthcheck(url: string, isReadiness: boolean): Promise<never> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) })
    const body = (await response.json().catch(() => ({}))) as { status?: string }
    console.log(`${url}: ${response.status} ${body.status ?? ''}`.trim())
    const isHealthy = response.status === 200 && (!isReadiness || body.status === 'UP')
    process.exit(isHealthy ? 0 : 1)
  } catch (error) {
    console.error(`${url}: ${(error as Error).message}`)
    process.exit(1)
  }
}

const { command, argument, help, version } = commandLine()
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
    if (argument === undefined) await healthcheck(readinessUrl(configOrExit()), true)
    else if (URL.canParse(argument)) await healthcheck(argument, false)
    else {
      console.error(`healthcheck: not a URL: ${argument}\n\n${USAGE}`)
      process.exit(2)
    }
    break
  case 'simulate': {
    const { isSimulatorName, runSimulator, SIMULATORS } = await import('./simulators/standalone')
    if (!isSimulatorName(argument)) {
      console.error(`simulate: name one of ${SIMULATORS.join(', ')}\n\n${USAGE}`)
      process.exit(2)
    }
    await runSimulator(
      argument,
      orExit(() => loadSimulatorConfig(argument)),
    )
    break
  }
  default:
    console.error(`unknown command: ${command}\n\n${USAGE}`)
    process.exit(2)
}
