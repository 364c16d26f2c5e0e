import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderEmbeddedMigrations } from '../../scripts/embed-migrations'
import { openDatabase } from '../../src/platform/db/database'
import { MIGRATIONS_DIR } from '../support/paths'

const dir = mkdtempSync(join(tmpdir(), 'marketplace-migrations-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('migrations', () => {
  test('db/migrations/embedded.ts embeds exactly the migrations drizzle-kit generated', () => {
    const folder = MIGRATIONS_DIR
    const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8'))
    const expected = renderEmbeddedMigrations(journal.entries.map((e: { tag: string }) => e.tag))
    expect(readFileSync(join(folder, 'embedded.ts'), 'utf8')).toBe(expected)
  })

  test('opening a new file creates every table in WAL mode, and reopening it applies nothing twice', () => {
    const file = join(dir, 'fresh.db')
    const first = openDatabase(file)
    const tables = first.sqlite
      .query("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .all()
      .map((r) => (r as { name: string }).name)
    expect(tables).toEqual([
      '__drizzle_migrations',
      'categories',
      'consumer_dead_letters',
      'idempotency_keys',
      'inbox_events',
      'members',
      'notifications',
      'order_items',
      'order_parts',
      'orders',
      'outbox_events',
      'payments',
      'product_images',
      'products',
      'refresh_tokens',
      'refunds',
      'revoked_access_tokens',
    ])
    expect(first.sqlite.query('pragma journal_mode').get()).toEqual({ journal_mode: 'wal' })
    first.close()
    const second = openDatabase(file)
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8'))
    expect(second.sqlite.query('select count(*) as n from __drizzle_migrations').get()).toEqual({
      n: journal.entries.length,
    })
    second.close()
  })

  test('CHECK constraints refuse negative stock, out-of-range prices and unknown statuses', () => {
    const db = openDatabase(join(dir, 'checks.db'))
    db.sqlite.run(
      "insert into members (email, password_hash, name, role, business_number) values ('s@x', 'h', 'S', 'SELLER', '1')",
    )
    const insert = (price: number, stock: number, status: string) => () =>
      db.sqlite.run(
        'insert into products (seller_id, name, price, stock_quantity, status) values (1, ?, ?, ?, ?)',
        ['p', price, stock, status],
      )
    expect(insert(100, -1, 'ON_SALE')).toThrow(/products_stock_non_negative/)
    expect(insert(-1, 1, 'ON_SALE')).toThrow(/products_price_range/)
    expect(insert(1_000_000_001, 1, 'ON_SALE')).toThrow(/products_price_range/)
    expect(insert(100, 1, 'GONE')).toThrow(/products_status_check/)
    expect(insert(100, 1, 'ON_SALE')).not.toThrow()
    expect(() =>
      db.sqlite.run(
        "insert into members (email, password_hash, name, role) values ('x@x', 'h', 'X', 'ROOT')",
      ),
    ).toThrow(/members_role_check/)
    db.close()
  })
})
