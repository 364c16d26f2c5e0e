import { describe, expect, test } from 'bun:test'
import { languageOf, renderTable } from '../../labs/lab'
import { stockLab } from '../../labs/stock'
import { cellOf } from './cells'

describe('lab stock (fast mode)', () => {
  test('the naive read-then-write oversells; the conditional UPDATE sells exactly the stock; optimistic never oversells', async () => {
    const { table, explanation } = await stockLab.run({ isFast: true })
    const naive = (column: string) => cellOf(table, 'read-then-write', column)
    expect(Number(naive('oversold'))).toBeGreaterThan(0)
    const ours = (column: string) => cellOf(table, 'conditional UPDATE', column)
    expect(['sold', 'refused', 'remaining', 'oversold'].map(ours)).toEqual([50, 150, 0, 0])
    const optimistic = (column: string) => cellOf(table, 'optimistic', column)
    expect(optimistic('oversold')).toBe(0)
    expect(Number(optimistic('sold')) + Number(optimistic('remaining'))).toBe(50)
    expect(explanation('en')).toContain('exactly 50')
    expect(explanation('ko')).toContain('정확히 50')
  }, 60_000)
})

describe('lab language and table', () => {
  test('LAB_LANG wins; otherwise a Korean locale picks Korean', () => {
    expect(languageOf({ LAB_LANG: 'en', LANG: 'ko_KR.UTF-8' })).toBe('en')
    expect(languageOf({ LANG: 'ko_KR.UTF-8' })).toBe('ko')
    expect(languageOf({ LC_ALL: 'C.UTF-8', LANG: 'ko_KR.UTF-8' })).toBe('en')
    expect(languageOf({})).toBe('en')
  })

  test('a table renders its header in the language asked', () => {
    const table = { columns: [{ en: 'way', ko: '방식' }], rows: [['atomic']] }
    expect(renderTable(table, 'ko').split('\n')[0]).toContain('방식')
    expect(renderTable(table, 'en')).toContain('| atomic |')
  })

  test('a text cell renders in the language asked, padded by its width on a terminal', () => {
    const table = {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'sold', ko: '판매' },
      ],
      rows: [
        [{ en: 'optimistic + retries', ko: '낙관적 락 + 재시도' }, 50],
        ['L1', 1_000],
      ],
    }
    expect(renderTable(table, 'en').split('\n')).toEqual([
      '| way                  | sold  |',
      '| -------------------- | ----- |',
      '| optimistic + retries | 50    |',
      '| L1                   | 1,000 |',
    ])
    // a Hangul syllable takes two columns: 낙관적 락 + 재시도 is 18 wide, 방식 4 and 판매 4
    expect(renderTable(table, 'ko').split('\n')).toEqual([
      '| 방식               | 판매  |',
      '| ------------------ | ----- |',
      '| 낙관적 락 + 재시도 | 50    |',
      '| L1                 | 1,000 |',
    ])
  })
})
