import { describe, expect, test } from 'bun:test'
import { cacheLab } from '../../labs/cache'
import { stampedeLab } from '../../labs/stampede'
import { cellOf, numberOf } from './cells'

describe('lab cache (fast mode)', () => {
  test('cache off runs one query per read; L1, L1 + Redis and Redis only run a handful in all; the Redis keys are printed', async () => {
    const { table, explanation } = await cacheLab.run({ isFast: true })
    const perThousand = (way: string) => numberOf(table, way, 'DB queries per 1,000 reads')
    const queries = (way: string) => numberOf(table, way, 'DB queries')
    expect(perThousand('cache off')).toBe(1_000)
    for (const way of ['L1 only', 'L1 + Redis', 'Redis only']) {
      expect(perThousand(way)).toBeLessThan(10)
      // at most one load per product (4 on sale in the demo data), thanks to single flight
      expect(queries(way)).toBeGreaterThan(0)
      expect(queries(way)).toBeLessThanOrEqual(4)
    }
    expect(String(cellOf(table, 'Redis only', 'reads answered from L1 / Redis / DB'))).toStartWith('0 / ')
    expect(explanation('en')).toContain('marketplace:cache:product-detail:v1:1')
    expect(explanation('en')).toContain('redis-cli GET marketplace:cache:products-popular:v1:top')
    expect(explanation('ko')).toContain('marketplace:cache:products-popular:v1:top')
  }, 90_000)
})

describe('lab stampede (fast mode)', () => {
  test('the naive get-or-load loads once per early reader; single flight once per instance; with the Redis lock at most once per instance, and fewer than naive', async () => {
    const { table, charts } = await stampedeLab.run({ isFast: true })
    const loads = (way: string) => numberOf(table, way, 'DB loads')
    const instances = numberOf(table, 'ReadCache + Redis', 'instances')
    expect(instances).toBe(2)
    for (const row of table.rows) expect(row[3]).toBe(200) // every read answered 200
    // single flight: exactly one fill per instance (each instance got readers; after its fill, L1 answers)
    expect(loads('ReadCache, L1 only')).toBe(instances)
    // the lock: one load, or one per instance in the race described in the lab (never more)
    expect(loads('ReadCache + Redis')).toBeGreaterThanOrEqual(1)
    expect(loads('ReadCache + Redis')).toBeLessThanOrEqual(instances)
    expect(loads('naive')).toBeGreaterThan(loads('ReadCache + Redis'))
    expect(loads('naive')).toBeGreaterThan(instances)
    const [chart] = charts!
    const plotted = (name: string) =>
      chart!.series
        .find((s) => s.name.en.startsWith(name))!
        .values.reduce((sum: number, v) => sum + (v ?? 0), 0)
    expect(plotted('naive')).toBe(loads('naive'))
    expect(plotted('ReadCache + Redis')).toBe(loads('ReadCache + Redis'))
  }, 90_000)
})
