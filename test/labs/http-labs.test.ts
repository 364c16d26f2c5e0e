import { describe, expect, test } from 'bun:test'
import { idempotencyLab } from '../../labs/idempotency'
import type { Cell } from '../../labs/lab'
import { paginationLab } from '../../labs/pagination'
import { ratelimitLab } from '../../labs/ratelimit'
import { en } from './cells'

const cell = (rows: Cell[][], way: string, index: number) =>
  en(rows.find((row) => String(en(row[0])).startsWith(way))![index])

describe('lab idempotency (fast mode)', () => {
  test('retries without a key make orders; with a key, one order however it is retried or double-clicked', async () => {
    const { table } = await idempotencyLab.run({ isFast: true })
    const created = table.columns.findIndex((c) => c.en === 'orders created')
    expect(cell(table.rows, 'no key', created)).toBe(4) // 1 + 3 retries
    expect(cell(table.rows, 'Idempotency-Key, retried', created)).toBe(1)
    expect(cell(table.rows, 'Idempotency-Key, double click', created)).toBe(1)
    expect(String(cell(table.rows, 'Idempotency-Key, retried', 3))).toContain('3 × 201 replayed')
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
    const deepest = table.rows.find((row) => en(row[0]) === 'page 1,000')!
    expect(deepest[2]).toBe(20_000) // OFFSET: 999 pages thrown away, then the page
    expect(deepest[4]).toBe(21) // cursor: the page and one row to know there is a next
    const withIndex = table.rows.find((row) => String(en(row[0])).startsWith('index: with'))!
    const dropped = table.rows.find((row) => en(row[0]) === 'index: dropped')!
    expect(String(withIndex[4])).toContain('USING COVERING INDEX idx_products_public_created')
    expect(String(dropped[4])).not.toContain('idx_products_public_created')
    expect(String(dropped[4])).toContain('TEMP B-TREE FOR ORDER BY')
  }, 60_000)
})
