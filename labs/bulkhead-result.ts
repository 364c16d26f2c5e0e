/**
 * What the `bulkhead` lab measured, as a table, a chart over time and a paragraph: for each window (the service
 * healthy; slow with the bulkhead; slow without) product detail p50/p99 and reads per second, the process's CPU,
 * the recommendation answers by source, the bulkhead's refusals and the most calls in flight at the service;
 * charted: the most recommendation calls the app held per CHART_BUCKET_MS while the service was slow, both ways.
 */
import type { LabChart, LabResult, Language, Text } from './lab'
import { percentileMs } from './measure'

const CHART_BUCKET_MS = 100

export type BulkheadShape = { windowMs: number; detailPerSecond: number; recommendationsPerSecond: number }

/** One measured window of both streams. */
export type BulkheadWindow = {
  detailMs: number[]
  seconds: number
  /** CPU the whole process used (app and load generator), as a share of one core */
  cpuShare: number
  answers: { source: string; ms: number }[]
  refused: number
  mostInFlight: number
  /** recommendation calls the app held (in flight + waiting in the bulkhead), every tick of the load generator */
  held: { atMs: number; calls: number }[]
}

/** The three windows, and how long the slow service took to answer. */
type BulkheadWindows = {
  healthy: BulkheadWindow
  ours: BulkheadWindow
  naive: BulkheadWindow
  shape: BulkheadShape
  slowMs: number
}

export function explainBulkheadWindows({ healthy, ours, naive, shape, slowMs }: BulkheadWindows): LabResult {
  const summary = (w: BulkheadWindow) => {
    const of = (source: string) => w.answers.filter((a) => a.source === source)
    return {
      detailPerSecond: Math.round(w.detailMs.length / w.seconds),
      detailP50: percentileMs(w.detailMs, 50),
      detailP99: percentileMs(w.detailMs, 99),
      cpuPercent: Math.round(w.cpuShare * 100),
      served: of('recommendation').length,
      fallback: of('fallback').length,
      fallbackP50: percentileMs(
        of('fallback').map((a) => a.ms),
        50,
      ),
      refused: w.refused,
      recsP50: percentileMs(
        w.answers.map((a) => a.ms),
        50,
      ),
      recsP99: percentileMs(
        w.answers.map((a) => a.ms),
        99,
      ),
      mostInFlight: w.mostInFlight,
    }
  }
  const [h, a, b] = [summary(healthy), summary(ours), summary(naive)]
  const row = (way: Text, s: typeof a) => [
    way,
    s.detailPerSecond,
    s.detailP50,
    s.detailP99,
    s.cpuPercent,
    s.served,
    s.fallback,
    s.refused,
    s.recsP50,
    s.recsP99,
    s.mostInFlight,
  ]
  const cap = Math.round((8 * 1000) / slowMs)
  const explanation: Record<Language, string> = {
    en:
      `Shoppers read product detail ${shape.detailPerSecond} times a second and buyers asked for recommendations ` +
      `${shape.recommendationsPerSecond} times a second, ${shape.windowMs / 1000} s each time. Healthy, the service ` +
      `answered at once (${h.served} served; product detail p99 ${h.detailP99} ms at ${h.cpuPercent} % CPU). Then ` +
      `it answered in ${slowMs} ms, inside the 300 ms timeout: nothing failed, so no breaker would have opened; ` +
      'only a bulkhead bounds this. Without one, every request held a call until it came back: up to ' +
      `${b.mostInFlight} at once at the service (arrivals × latency: it grows with the latency, up to the timeout), ` +
      `every buyer waited (p50 ${b.recsP50} ms), and product detail p99 was ${b.detailP99} ms at ${b.cpuPercent} % ` +
      `CPU. With the bulkhead the service never had more than ${a.mostInFlight}: ${a.refused} calls were refused at ` +
      `once and answered with the popular products (source "fallback", p50 ${a.fallbackP50} ms), ${a.served} were ` +
      `served (8 slots at ${slowMs} ms serve about ${cap} a second), and product detail p99 was ${a.detailP99} ms ` +
      `at ${a.cpuPercent} % CPU. Product detail never calls the service, it only shares the process: what it gains ` +
      'is the work the bulkhead sheds (fewer recommendations fetched and built: see the CPU), not a freed thread, ' +
      'and on this 2-core machine its sub-millisecond timings move with the machine; the calls held are what the ' +
      `bulkhead bounds for certain. The price: while the service is slow most buyers get the labelled fallback ` +
      `(${a.fallback} against ${b.fallback}).`,
    ko:
      `쇼핑객들이 초당 ${shape.detailPerSecond}번 상품 상세를 읽고 구매자들이 초당 ${shape.recommendationsPerSecond}번 ` +
      `추천을 요청했습니다(매번 ${shape.windowMs / 1000}초). 서비스가 정상일 때는 바로 응답했습니다(추천 ${h.served}건; ` +
      `상품 상세 p99 ${h.detailP99} ms, CPU ${h.cpuPercent} %). 그다음 서비스가 ${slowMs} ms 걸려 응답했습니다. 300 ms ` +
      '타임아웃 안이라 실패가 없으니 브레이커는 열리지 않았을 것이고, 이를 제한하는 것은 벌크헤드뿐입니다. 벌크헤드가 없으면 ' +
      `모든 요청이 응답이 올 때까지 호출을 붙잡았습니다: 서비스에 동시에 최대 ${b.mostInFlight}개(도착률 × 지연: 지연이 ` +
      `길수록, 타임아웃까지 커집니다), 모든 구매자가 기다렸고(p50 ${b.recsP50} ms), 상품 상세 p99는 ${b.detailP99} ms, ` +
      `CPU ${b.cpuPercent} %였습니다. 벌크헤드가 있으면 서비스에 걸린 호출은 최대 ${a.mostInFlight}개였습니다: ` +
      `${a.refused}개의 호출은 즉시 거절되어 인기 상품으로 응답했고(source "fallback", p50 ${a.fallbackP50} ms), ` +
      `${a.served}건은 추천으로 응답했습니다(${slowMs} ms짜리 슬롯 8개는 초당 약 ${cap}건). 상품 상세 p99는 ` +
      `${a.detailP99} ms, CPU ${a.cpuPercent} %였습니다. 상품 상세는 추천 서비스를 호출하지 않고 같은 프로세스를 함께 쓸 ` +
      '뿐입니다: 얻는 것은 벌크헤드가 덜어 준 일(가져오고 만드는 추천이 적음: CPU 참고)이지 풀려난 스레드가 아니며, 이 2코어 ' +
      '머신에서 1 ms 미만의 시간은 머신 상태에 따라 움직입니다. 벌크헤드가 확실히 제한하는 것은 붙잡힌 호출 수입니다. ' +
      `대가: 서비스가 느린 동안 대부분의 구매자는 표시된 대체 응답을 받습니다(${a.fallback}건 대 ${b.fallback}건).`,
  }
  return {
    table: {
      columns: [
        { en: 'while', ko: '상황' },
        { en: 'detail/s', ko: '상세/초' },
        { en: 'detail p50 ms', ko: '상세 p50 ms' },
        { en: 'detail p99 ms', ko: '상세 p99 ms' },
        { en: 'CPU %', ko: 'CPU %' },
        { en: 'recs served', ko: '추천 응답' },
        { en: 'fallback', ko: '대체 응답' },
        { en: 'bulkhead refused', ko: '벌크헤드 거절' },
        { en: 'recs p50 ms', ko: '추천 p50 ms' },
        { en: 'recs p99 ms', ko: '추천 p99 ms' },
        { en: 'most in flight at service', ko: '서비스 최대 동시 호출' },
      ],
      rows: [
        row({ en: 'service healthy, bulkhead 8 + 8', ko: '서비스 정상, 벌크헤드 8 + 8' }, h),
        row({ en: 'service slow, bulkhead 8 + 8 (ours)', ko: '서비스 느림, 벌크헤드 8 + 8 (우리 방식)' }, a),
        row({ en: 'service slow, no bulkhead (naive)', ko: '서비스 느림, 벌크헤드 없음 (단순한 방식)' }, b),
      ],
    },
    explanation: (language: Language) => explanation[language],
    charts: [heldChart(ours, naive, slowMs)],
  }
}

/** The most recommendation calls the app held (in flight + waiting) in each 100 ms, both ways, while slow. */
function heldChart(ours: BulkheadWindow, naive: BulkheadWindow, slowMs: number): LabChart {
  const buckets = Math.floor(Math.min(ours.held.at(-1)!.atMs, naive.held.at(-1)!.atMs) / CHART_BUCKET_MS)
  const most = (w: BulkheadWindow) =>
    Array.from({ length: buckets }, (_, i) =>
      Math.max(
        0,
        ...w.held
          .filter((s) => s.atMs >= i * CHART_BUCKET_MS && s.atMs < (i + 1) * CHART_BUCKET_MS)
          .map((s) => s.calls),
      ),
    )
  return {
    title: {
      en: `Recommendation calls the app holds while the service takes ${slowMs} ms (most per 100 ms)`,
      ko: `서비스가 ${slowMs} ms 걸릴 때 앱이 붙잡은 추천 호출 (100 ms마다 최대)`,
    },
    kind: 'line',
    x: {
      label: { en: 'seconds since the service turned slow', ko: '서비스가 느려진 뒤 초' },
      values: Array.from({ length: buckets }, (_, i) => (i * CHART_BUCKET_MS) / 1000),
    },
    y: { label: { en: 'calls in flight + waiting', ko: '진행 중 + 대기 호출' } },
    series: [
      {
        name: { en: 'bulkhead 8 + 8 (ours)', ko: '벌크헤드 8 + 8 (우리 방식)' },
        values: most(ours),
        steps: true,
      },
      {
        name: { en: 'no bulkhead (naive)', ko: '벌크헤드 없음 (단순한 방식)' },
        values: most(naive),
        steps: true,
      },
    ],
  }
}
