/** `bun run db:migrate`: applies db/migrations to DATABASE_URL (the server also does this at every start). */
import { databaseFilePath, loadConfig } from '../src/config'
import { openDatabase } from '../src/platform/db/database'

const config = loadConfig()
const database = openDatabase(databaseFilePath(config.databaseUrl))
database.close()
console.log(`migrations applied to ${config.databaseUrl}`)
