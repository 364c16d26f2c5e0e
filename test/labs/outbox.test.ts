import { describe, expect, test } from 'bun:test'
import { renderTable } from '../../labs/lab'
import { outboxLab } from '../../labs/outbox'
import { numberOf } from './cells'

describe('lab outbox (fast mode, a real Kafka broker stopped and started mid-stream)', () => {
  test('mark-then-send loses events marked PUBLISHED; our relay loses none and delivers every event at least once', async () => {
    const { table, explanation, charts } = await outboxLab.run({ isFast: true })
    const printed = renderTable(table, 'en')
    const naive = (name: string) => numberOf(table, 'mark then send', name)
    const ours = (name: string) => numberOf(table, 'send, ack, then mark', name)

    // the naive relay marked events PUBLISHED that never reached the topic, and delivered some before the outage
    expect(naive('lost'), printed).toBeGreaterThan(0)
    expect(naive('on the topic'), printed).toBeGreaterThan(0)
    expect(naive('on the topic') + naive('lost'), printed).toBe(naive('marked PUBLISHED'))
    // ours: nothing lost, nothing left behind, every appended event on the topic (duplicates are allowed: counted in the table)
    expect(ours('appended'), printed).toBeGreaterThan(0)
    expect(ours('lost'), printed).toBe(0)
    expect(ours('still pending'), printed).toBe(0)
    expect(ours('on the topic'), printed).toBe(ours('appended'))
    // orders never needed the broker
    expect([naive('orders failed'), ours('orders failed')], printed).toEqual([0, 0])
    expect(explanation('en')).toContain('at-least-once')
    expect(explanation('en')).toContain('deduplicate by event id')
    expect(explanation('ko')).toContain('이벤트 id로 중복')

    const chart = charts![0]!
    const outage = chart.series.find((series) => series.name.en.startsWith('broker down'))!
    expect(outage.values).toContain(1)
    expect(outage.values.at(-1)).toBe(0)
    for (const series of chart.series) expect(series.values.length).toBe(chart.x.values.length)
  }, 90_000)
})
