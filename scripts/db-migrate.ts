/**
 * `bun run db:migrate`: applies db/migrations to the configured database, a local file or a libSQL server (the
 * server also does this at every start).
 */
import { loadConfig } from '../src/config'
import { closeDatabase, databaseInLog, openConfiguredDatabase } from '../src/platform/db/connections'

const config = loadConfig()
closeDatabase(await openConfiguredDatabase(config.database))
console.log(`migrations applied to ${JSON.stringify(databaseInLog(config))}`)
