/** `bun run seed`: inserts the demo data of SPEC §9 into DATABASE_URL (idempotent). */
import { databaseFilePath, loadConfig } from '../src/config'
import { hashPassword } from '../src/modules/auth/auth.service'
import { openDatabase } from '../src/platform/db/database'
import { seedDemoData } from './demo-data'

const config = loadConfig()
const database = openDatabase(databaseFilePath(config.databaseUrl))
const { membersCreated } = await seedDemoData(database, hashPassword)
database.close()
console.log(`demo data ready in ${config.databaseUrl} (${membersCreated} members created)`)
