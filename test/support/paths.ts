/** The project's folders as tests reach them (servers started from src/main.ts, migration files), from any test folder. */
import { join } from 'node:path'

export const PROJECT_ROOT = join(import.meta.dir, '..', '..')
export const MAIN_ENTRY = join(PROJECT_ROOT, 'src', 'main.ts')
export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'db', 'migrations')
