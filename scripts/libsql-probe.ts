/**
 * Proof that `@libsql/client` works inside the compiled binary (issue #11): test/platform/binary.test.ts compiles
 * this entry with scripts/build.ts, exactly as the app is, and runs it from an empty folder against a real sqld.
 *
 * PROBE_URL is `http://…` (remote primary) or `file:…` plus PROBE_SYNC_URL (an embedded replica of that primary:
 * local reads, writes forwarded). The probe writes one row in a write batch, syncs a replica, then prints the
 * table's row count as one JSON line and exits 0; any failure exits non-zero with the error on stderr.
 */
import { createClient } from '@libsql/client'

const url = process.env.PROBE_URL
const syncUrl = process.env.PROBE_SYNC_URL
if (!url) throw new Error('PROBE_URL is required (http://… or file:… with PROBE_SYNC_URL)')

const client = createClient(syncUrl ? { url, syncUrl } : { url })
await client.batch(
  [
    'CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, written_by TEXT NOT NULL)',
    { sql: 'INSERT INTO probe (written_by) VALUES (?)', args: [syncUrl ? 'replica' : 'remote'] },
  ],
  'write',
)
// A replica applies its forwarded write once it pulls the primary's frames back.
if (syncUrl) await client.sync()
const result = await client.execute('SELECT written_by FROM probe ORDER BY id')
console.log(JSON.stringify({ url, syncUrl, rows: result.rows.map((row) => row.written_by) }))
client.close()
