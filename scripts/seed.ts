/** `bun run seed`: inserts the demo data of SPEC §9 into the configured database (idempotent; any DATABASE_URL). */
import { loadConfig } from '../src/config'
import { seedDemoData } from '../src/demo-data'
import { closeDatabase, databaseInLog, openConfiguredDatabase } from '../src/platform/db/connections'

const config = loadConfig()
const database = await openConfiguredDatabase(config.database)
const { membersCreated } = await seedDemoData(database)
closeDatabase(database)
console.log(`demo data ready in ${JSON.stringify(databaseInLog(config))} (${membersCreated} members created)`)
