/**
 * What lab `replica` (labs/replica.ts) measured, as its table, explanation and charts: per way and replica
 * placement, how many read-backs showed the old price and for how long.
 */
import type { LabChart, LabResult, Language, Text } from './lab'
import { percentile } from './measure'

export type Placement = { name: Text; delayMs: number }

const WAYS = {
  naive: { en: 'naive: the writer reads the replica', ko: '단순한 방식: 작성자가 레플리카에서 읽음' },
  ours: {
    en: 'ours: the writer reads via the app (read-your-writes)',
    ko: '우리 방식: 작성자가 앱을 통해 읽음 (read-your-writes)',
  },
  others: {
    en: 'others meanwhile: anonymous read via the app (replica)',
    ko: '그동안 다른 사용자: 앱을 통한 익명 읽기 (레플리카)',
  },
} as const satisfies Record<string, Text>
export type Way = keyof typeof WAYS

/** per read-back, ms it was stale (0: the first read showed the write) */
export type Outcome = { way: Way; placement: Placement; staleMs: number[] }
/** what a run measured, and the app's read-your-writes window it ran with */
export type Measured = { outcomes: Outcome[]; readYourWritesMs: number }

/** count, median (the lower middle of an even count) and max of the stale read-backs; 0 for none */
function staleness(outcome: Outcome) {
  const stale = outcome.staleMs.filter((ms) => ms > 0)
  return { count: stale.length, medianMs: percentile(stale, 50), maxMs: percentile(stale, 100) }
}

export function resultOf({ outcomes, readYourWritesMs }: Measured, attempts: number): LabResult {
  const windowMs = readYourWritesMs.toLocaleString('en-US')
  const rows = outcomes.map((outcome) => {
    const { count, medianMs, maxMs } = staleness(outcome)
    return [
      WAYS[outcome.way],
      outcome.placement.name,
      attempts,
      count,
      count > 0 ? Math.round(medianMs) : '-',
      count > 0 ? Math.round(maxMs) : '-',
    ]
  })
  // the explanation contrasts the replica on the same machine with the one farthest away
  const placements = [...new Set(outcomes.map((o) => o.placement))].sort((a, b) => a.delayMs - b.delayMs)
  const [near, far] = [placements[0]!, placements.at(-1)!]
  const of = (way: Way, placement: Placement) =>
    staleness(outcomes.find((o) => o.way === way && o.placement === placement)!)
  const [naiveNear, naiveFar, oursNear, oursFar, othersFar] = [
    of('naive', near),
    of('naive', far),
    of('ours', near),
    of('ours', far),
    of('others', far),
  ]
  const worstLagMs = Math.round(Math.max(...outcomes.map((o) => staleness(o).maxMs)))
  const ms = (value: number) => Math.round(value)
  const explanation: Record<Language, string> = {
    en:
      `A seller changed a product's price ${attempts} times per way and read it back at once, on a real sqld ` +
      'primary and a sqld replica following it. Read straight from the replica (a naive read/write split), the ' +
      `read-back was stale ${naiveNear.count} of ${attempts} times with the replica on the same machine` +
      `${naiveNear.count > 0 ? ` (for up to ${ms(naiveNear.maxMs)} ms)` : ''} and ${naiveFar.count} of ${attempts} ` +
      `with the replica ${far.delayMs} ms ` +
      `away (a real delay on its replication link; the new price showed ${ms(naiveFar.medianMs)} ms after the ` +
      `write, median). Read back through the app, the seller saw ${oursNear.count + oursFar.count} stale prices: ` +
      "after a member writes, the read router sends that member's catalog reads to the primary for " +
      `DATABASE_READ_YOUR_WRITES_MS (${windowMs} ms). An anonymous reader asking at the same moment was still ` +
      `served by the replica and saw the old price ${othersFar.count} of ${attempts} times (${ms(othersFar.medianMs)} ms, ` +
      'median): the replica lags all the same, only the writer is kept on the primary. The window must exceed the ' +
      `worst lag (here ${worstLagMs} ms) and is kept per instance: behind a load balancer, pin a member to one.`,
    ko:
      `판매자가 방식마다 ${attempts}번 상품 가격을 바꾸고 곧바로 다시 읽었습니다(실제 sqld 프라이머리와 이를 따르는 sqld ` +
      `레플리카). 레플리카에서 바로 읽으면(단순한 읽기/쓰기 분리) ${near.name.ko}의 레플리카에서 ${attempts}번 중 ` +
      `${naiveNear.count}번 옛 값을 읽었고${naiveNear.count > 0 ? `(최대 ${ms(naiveNear.maxMs)} ms 동안)` : ''}, ` +
      '복제 링크에 실제 지연을 둔 ' +
      `${far.delayMs} ms 거리의 레플리카에서는 ${attempts}번 중 ${naiveFar.count}번이었습니다(새 가격은 쓰기 후 중앙값 ` +
      `${ms(naiveFar.medianMs)} ms에 보였습니다). 앱을 통해 읽으면 판매자는 옛 가격을 ${oursNear.count + oursFar.count}번 ` +
      `보았습니다: 회원이 쓰고 나면 읽기 라우터가 DATABASE_READ_YOUR_WRITES_MS(${windowMs} ms) 동안 그 회원의 카탈로그 읽기를 ` +
      '프라이머리로 보냅니다. 같은 순간 익명 사용자의 읽기는 여전히 레플리카가 처리해 ' +
      `${attempts}번 중 ${othersFar.count}번 옛 가격을 보았습니다(중앙값 ${ms(othersFar.medianMs)} ms): 레플리카는 똑같이 ` +
      `지연되고, 쓴 사람만 프라이머리에서 읽습니다. 이 창은 최악의 지연(여기서 ${worstLagMs} ms)보다 길어야 하며 ` +
      '인스턴스마다 따로 기억되므로, 로드 밸런서 뒤에서는 회원을 한 인스턴스에 고정해야 합니다.',
  }
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'replica', ko: '레플리카' },
        { en: 'read-backs', ko: '다시 읽기' },
        { en: 'stale', ko: '옛 값' },
        { en: 'median ms stale', ko: '옛 값 ms (중앙값)' },
        { en: 'max ms stale', ko: '옛 값 ms (최대)' },
      ],
      rows,
    },
    explanation: (language) => explanation[language],
    charts: placements.map((placement) => chartOf(outcomes, placement, attempts)),
  }
}

/** ms stale per read-back, one series per way (0: the read showed the write at once) */
function chartOf(outcomes: Outcome[], placement: Placement, attempts: number): LabChart {
  const seriesName: Record<Way, Text> = {
    naive: { en: 'naive: replica', ko: '단순: 레플리카' },
    ours: { en: 'ours: writer via the app', ko: '우리 방식: 앱을 통한 작성자' },
    others: { en: 'anonymous via the app', ko: '앱을 통한 익명 사용자' },
  }
  return {
    title: {
      en: `Stale read-backs, replica ${placement.name.en}`,
      ko: `옛 값 읽기, 레플리카: ${placement.name.ko}`,
    },
    kind: 'line',
    x: {
      label: { en: 'read-back', ko: '다시 읽기' },
      values: Array.from({ length: attempts }, (_, i) => i + 1),
    },
    y: { label: { en: 'ms until the new price showed', ko: '새 가격이 보이기까지 ms' } },
    series: outcomes
      .filter((outcome) => outcome.placement === placement)
      .map((outcome) => ({ name: seriesName[outcome.way], values: outcome.staleMs.map(Math.round) })),
  }
}
