import { describe, expect, test } from 'bun:test'
import { idempotencyLab } from '../../labs/idempotency'
import { ratelimitLab } from '../../labs/ratelimit'

const cell = (rows: (string | number)[][], way: string, index: number) =>
  rows.find((row) => String(row[0]).startsWith(way))![index]

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
    const [first, second] = table.rows as [(string | number)[], (string | number)[]]
    expect(first.slice(1, 4)).toEqual([10, 10, '10;w=1'])
    expect(first[5]).toBe('1')
    expect(second.slice(1, 3)).toEqual([1, 0])
  }, 60_000)
})
