import { describe, expect, test } from 'bun:test'
import { idempotencyLab } from '../../labs/idempotency'
import type { Cell } from '../../labs/lab'
import { paginationLab } from '../../labs/pagination'
import { ratelimitLab } from '../../labs/ratelimit'
import { cellOf, en } from './cells'

describe('lab idempotency (fast mode)', () => {
  test('retries without a key make orders; with a key, one order however it is retried or double-clicked', async () => {
    const { table } = await idempotencyLab.run({ isFast: true })
    const created = 'orders created'
    expect(cellOf(table, 'no key', created)).toBe(4) // 1 + 3 retries
    expect(cellOf(table, 'Idempotency-Key, retried', created)).toBe(1)
    expect(cellOf(table, 'Idempotency-Key, double click', created)).toBe(1)
    expect(String(cellOf(table, 'Idempotency-Key, retried', 'answers'))).toContain('3 × 201 replayed')
  }, 60_000)
})

describe('lab ratelimit', () => {
  test('20 orders in a second: 10 placed, 10 refused with Retry-After; another member is not affected', async () => {
    const { table } = await ratelimitLab.run({ isFast: true })
    const [first, second] = table.rows.map((row) => row.map(en)) as [Cell[], Cell[]]
    expect(first.slice(1, 4)).toEqual([10, 10, '10;w=1'])
    expect(first[5]).toBe('1')
    expect(second.slice(1, 3)).toEqual([1, 0])
  }, 60_000)
})

describe('lab pagination (fast mode)', () => {
  test('OFFSET reads every row before the page, the cursor a page; without its index the cursor page sorts', async () => {
    const { table } = await paginationLab.run({ isFast: true })
    const cursorColumn = 'cursor rows read / plan'
    expect(cellOf(table, 'page 1,000', 'OFFSET rows read')).toBe(20_000) // OFFSET: 999 pages thrown away, then the page
    expect(cellOf(table, 'page 1,000', cursorColumn)).toBe(21) // cursor: the page and one row to know there is a next
    const withIndex = String(cellOf(table, 'index: with', cursorColumn))
    const dropped = String(cellOf(table, 'index: dropped', cursorColumn))
    expect(withIndex).toContain('USING COVERING INDEX idx_products_public_created')
    expect(dropped).not.toContain('idx_products_public_created')
    expect(dropped).toContain('TEMP B-TREE FOR ORDER BY')
  }, 60_000)
})
