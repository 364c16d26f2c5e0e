/**
 * What the `stampede` lab measured, as a table, a chart over time and a paragraph: for each way the DB loads the
 * driver ran while the readers met the expired key (in all and by instance), the reads answered 200 and the
 * slowest read; charted: the DB loads started per BUCKET_MS.
 */
import type { LabChart, LabResult, Language, Text } from './lab'

const BUCKET_MS = 5

/** `way` names the table's row and the chart's series */
export type StampedeWay = { way: Text; usesRedis: boolean; isNaive: boolean }

export type Stampede = {
  way: StampedeWay
  instances: number
  /** DB loads made by each instance's cache during the stampede */
  loadsByInstance: number[]
  /** when each statement ran, ms after the reads were sent */
  statementTimes: number[]
  answeredOk: number
  slowestMs: number
}

/** Every way's stampede, in the lab's order: naive, single flight, single flight + lock. */
export type Stampedes = {
  results: Stampede[]
  /** how many reads each stampede sent */
  readers: number
}

function chartOf(results: Stampede[], readers: number): LabChart {
  // until the last read was answered, so the chart shows the whole stampede
  const lastMs = Math.max(...results.flatMap((result) => [result.slowestMs, ...result.statementTimes]))
  const buckets = Math.floor(lastMs / BUCKET_MS) + 1
  return {
    title: {
      en: `DB loads per ${BUCKET_MS} ms while ${readers} reads meet an expired key`,
      ko: `만료된 키에 ${readers}개의 읽기가 몰릴 때 ${BUCKET_MS}ms마다의 DB 조회`,
    },
    kind: 'bar',
    x: {
      label: { en: 'ms after the reads were sent', ko: '읽기를 보낸 뒤 ms' },
      values: Array.from({ length: buckets }, (_, i) => i * BUCKET_MS),
    },
    y: { label: { en: 'DB loads started', ko: '시작된 DB 조회' } },
    series: results.map((result) => {
      const values = Array.from({ length: buckets }, () => 0)
      for (const at of result.statementTimes) values[Math.floor(Math.max(0, at) / BUCKET_MS)]! += 1
      return { name: result.way.way, values }
    }),
  }
}

export function explainStampedes({ results, readers }: Stampedes): LabResult {
  const [naive, singleFlight, locked] = results as [Stampede, Stampede, Stampede]
  const total = (result: Stampede) => result.statementTimes.length
  const instances = locked.instances
  const explanation: Record<Language, string> = {
    en:
      `${readers} reads of one product whose cache entry just expired, sent at once to ${instances} instances. ` +
      `The naive get-or-load let ${total(naive)} of them load it from the database: every reader that checked ` +
      "Redis before the first load was stored loaded too. The project's ReadCache without Redis loaded " +
      `${total(singleFlight)} times: single flight keeps one load per key per process, but each instance loads ` +
      `once. With Redis it loaded ${total(locked)} time(s): the instance holding the lock loaded and stored, the ` +
      'others polled Redis every 15 ms for its result (slowest read ' +
      `${locked.slowestMs.toFixed(0)} ms; naive ${naive.slowestMs.toFixed(0)} ms). The bound from the code: at ` +
      `most one load per instance (${instances} here), since an instance fills a key once at a time and keeps it ` +
      'in L1 after; the lock makes it one, unless the holder takes longer than 300 ms or finishes between ' +
      "another instance's miss and its lock attempt. This is the case where a distributed lock pays (guide 1.4).",
    ko:
      `방금 캐시가 만료된 상품 하나를 ${readers}개의 읽기가 ${instances}개 인스턴스에 한꺼번에 요청했습니다. 단순한 ` +
      `get-or-load에서는 ${total(naive)}개가 DB에서 읽었습니다: 첫 조회 결과가 저장되기 전에 Redis를 확인한 독자는 ` +
      `모두 스스로 읽습니다. Redis 없는 프로젝트의 ReadCache는 ${total(singleFlight)}번: single flight는 ` +
      '프로세스마다 키당 한 번만 읽게 하지만 인스턴스마다 한 번씩은 읽습니다. Redis가 있으면 ' +
      `${total(locked)}번: 락을 잡은 인스턴스가 읽고 저장했고, 나머지는 15ms마다 Redis를 확인해 그 결과를 ` +
      `받았습니다(가장 느린 읽기 ${locked.slowestMs.toFixed(0)}ms, 단순한 방식 ${naive.slowestMs.toFixed(0)}ms). ` +
      `코드에서 나오는 상한은 인스턴스당 한 번(여기서는 ${instances}번)입니다: 인스턴스는 한 키를 한 번에 하나만 ` +
      '채우고 그 뒤엔 L1에 둡니다. 락은 이를 한 번으로 만듭니다. 락 보유자가 300ms보다 오래 걸리거나, 다른 ' +
      '인스턴스의 미스와 락 시도 사이에 끝나 버리는 경우만 예외입니다. 분산 락이 값을 하는 경우가 바로 ' +
      '이것입니다(가이드 1.4).',
  }
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'instances', ko: '인스턴스' },
        { en: 'reads', ko: '읽기' },
        { en: 'answered 200', ko: '200 응답' },
        { en: 'DB loads', ko: 'DB 조회' },
        { en: 'loads by instance', ko: '인스턴스별 조회' },
        { en: 'slowest read ms', ko: '가장 느린 읽기 ms' },
      ],
      rows: results.map((result) => [
        result.way.way,
        result.instances,
        readers,
        result.answeredOk,
        total(result),
        result.loadsByInstance.join(' + '),
        Math.round(result.slowestMs),
      ]),
    },
    explanation: (language: Language) => explanation[language],
    charts: [chartOf(results, readers)],
  }
}
