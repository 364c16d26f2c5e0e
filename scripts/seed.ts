/** `bun run seed`: inserts the demo data of SPEC §9 into DATABASE_URL (idempotent). */
import { databaseFilePath, loadConfig } from '../src/config'
import { seedDemoData } from '../src/demo-data'
import { openDatabase } from '../src/platform/db/database'

const config = loadConfig()
const database = openDatabase(databaseFilePath(config.databaseUrl))
const { membersCreated } = await seedDemoData(database)
database.close()
console.log(`demo data ready in ${config.databaseUrl} (${membersCreated} members created)`)
