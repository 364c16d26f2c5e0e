import { describe, expect, test } from 'bun:test'
import { renderTable } from '../../labs/lab'
import { replicaLab } from '../../labs/replica'
import { cellOf, en } from './cells'

describe('lab replica (fast mode, a real sqld primary and replica)', () => {
  test('read straight from a lagging replica the writer sees its old price; read through the app (read-your-writes) never, while others still read the lagging replica', async () => {
    const { table, explanation, charts } = await replicaLab.run({ isFast: true })
    // the rows of one replica placement, as a table of their own
    const placed = (replica: string) => ({
      ...table,
      rows: table.rows.filter((row) => en(row[1]) === replica),
    })
    const [near, far] = [placed('same machine'), placed('50 ms away')]
    const printed = renderTable(table, 'en')

    // the replica 50 ms away lags every write: naive read-backs see the old price
    expect(Number(cellOf(far, 'naive', 'stale')), printed).toBeGreaterThanOrEqual(1)
    // the writer, read back through the app, never does, on either replica
    expect(table.rows.filter((row) => String(en(row[0])).startsWith('ours')).length).toBe(2)
    for (const replica of [near, far]) {
      expect(cellOf(replica, 'ours', 'stale'), printed).toBe(0)
      expect(cellOf(replica, 'ours', 'read-backs')).toBe(8)
    }
    // and the replica really lagged meanwhile: an anonymous reader through the same app saw the old price
    expect(Number(cellOf(far, 'others', 'stale')), printed).toBeGreaterThanOrEqual(1)

    expect(explanation('en')).toContain('the seller saw 0 stale prices')
    expect(explanation('ko')).toContain('판매자는 옛 가격을 0번')
    expect(charts?.map((chart) => chart.series.length)).toEqual([3, 3])
  }, 90_000)
})
