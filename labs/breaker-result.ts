/**
 * What the `breaker` lab measured, as a table, two charts over time and a paragraph: each way's payments by answer
 * (paid; 503 after trying; 503 refused by the OPEN breaker; 503 refused by the bulkhead), the calls that reached
 * the gateway and the payments' p50/p99; charted: the breaker's state (from the samples, per STATE_BUCKET_MS) and
 * the gateway's calls per CALLS_BUCKET_MS, with the breaker and without, and the payments' median latency by
 * when they were sent (per CALLS_BUCKET_MS).
 */
import type { LabChart, LabResult, Language, Text } from './lab'
import { percentile, percentileMs } from './measure'

const STATE_BUCKET_MS = 100
const CALLS_BUCKET_MS = 250
const STATE_VALUES = { CLOSED: 0, HALF_OPEN: 0.5, OPEN: 1 } as const

export type BreakerState = keyof typeof STATE_VALUES
export type BreakerShape = { durationMs: number; healAtMs: number; paymentEveryMs: number; openMs: number }
export type Kind = 'paid' | 'failed' | 'refused' | 'busy'
export type Sample = { atMs: number; state: BreakerState; calls: number }
/** One way's stream of payments. */
export type BreakerRun = {
  way: Text
  /** each payment's answer, its latency, and when it was sent (ms since the stream started) */
  answers: { kind: Kind; ms: number; sentAtMs: number }[]
  gatewayCalls: number
  captures: number
  transitions: Record<BreakerState, number>
  samples: Sample[]
}

/** Both ways, and the gateway's faults they ran against. */
type BreakerRuns = {
  ours: BreakerRun
  naive: BreakerRun
  shape: BreakerShape
  /** the share of the gateway's calls that failed until it healed */
  failureRate: number
  /** how long the gateway took to answer */
  gatewayLatencyMs: number
}

export function explainBreakerRuns({
  ours,
  naive,
  shape,
  failureRate,
  gatewayLatencyMs,
}: BreakerRuns): LabResult {
  const summary = (run: BreakerRun) => {
    const count = (kind: Kind) => run.answers.filter((a) => a.kind === kind).length
    const ms = run.answers.map((a) => a.ms)
    return {
      payments: run.answers.length,
      paid: count('paid'),
      failed: count('failed'),
      refused: count('refused'),
      /** refused by the breaker faster than the gateway answers: no call can have been waited for */
      refusedAtOnce: run.answers.filter((x) => x.kind === 'refused' && x.ms < gatewayLatencyMs).length,
      refusedP50: percentileMs(
        run.answers.filter((x) => x.kind === 'refused').map((x) => x.ms),
        50,
      ),
      busy: count('busy'),
      calls: run.gatewayCalls,
      p50: percentileMs(ms, 50),
      p99: percentileMs(ms, 99),
      opened: run.transitions.OPEN,
    }
  }
  const [a, b] = [summary(ours), summary(naive)]
  const row = (way: Text, s: typeof a) => [
    way,
    s.payments,
    s.paid,
    s.failed,
    s.refused,
    s.busy,
    s.calls,
    s.p50,
    s.p99,
    s.opened,
  ]
  const closedAt = lastClosingMs(ours.samples)
  const seconds = (ms: number) => (ms / 1000).toFixed(1)
  const reopened = `${ours.transitions.OPEN}/${ours.transitions.HALF_OPEN}/${ours.transitions.CLOSED}`
  const explanation: Record<Language, string> = {
    en:
      `${a.payments} payments, one every ${shape.paymentEveryMs} ms, while the gateway failed ` +
      `${failureRate * 100} % of its calls, healed at ${seconds(shape.healAtMs)} s. Without a breaker every ` +
      `payment tried, with up to 2 retries each: ${b.calls} calls reached the failing gateway, ${b.failed} ` +
      `payments still failed after trying, p50 ${b.p50} ms. With the breaker only ${a.calls} calls reached it ` +
      `(${Math.round((100 * a.calls) / Math.max(1, b.calls))} %): it opened ${a.opened} times and refused ` +
      `${a.refused} payments with a 503 (p50 ${a.refusedP50} ms; ${a.refusedAtOnce} of them faster than the gateway ` +
      `answers, so without any call; the rest had tried before it opened), leaving the gateway room to ` +
      `recover. After ${shape.openMs} ms OPEN it let one probe through (HALF_OPEN): a failure reopened it, a ` +
      `success closed it (OPEN/HALF_OPEN/CLOSED entered ${reopened} times), ` +
      (closedAt === undefined
        ? 'and it had not closed again by the end.'
        : `and it closed for the last time at ${seconds(closedAt)} s and stayed CLOSED.`) +
      ` The price: the breaker also refuses payments retries would have saved (${a.paid} paid against ` +
      `${b.paid}); each refused order stays PENDING and the client retries later (Retry-After).` +
      (a.busy + b.busy > 0
        ? ` (${a.busy} / ${b.busy} were refused by the bulkhead: too many in flight.)`
        : ''),
    ko:
      `결제 ${a.payments}건을 ${shape.paymentEveryMs} ms마다 하나씩 보냈고, 그동안 게이트웨이는 호출의 ` +
      `${failureRate * 100} %를 실패시키다가 ${seconds(shape.healAtMs)}초에 회복했습니다. 브레이커가 없으면 모든 결제가 ` +
      `최대 2번씩 재시도하며 시도했습니다: 실패하는 게이트웨이에 ${b.calls}번의 호출이 닿았고, ${b.failed}건은 시도 끝에 ` +
      `실패했습니다(p50 ${b.p50} ms). 브레이커가 있으면 ${a.calls}번만 닿았습니다 ` +
      `(${Math.round((100 * a.calls) / Math.max(1, b.calls))} %): ${a.opened}번 열렸고(OPEN) 결제 ${a.refused}건을 ` +
      `503으로 거절했습니다(p50 ${a.refusedP50} ms; 그중 ${a.refusedAtOnce}건은 게이트웨이 응답 시간보다 빨라 호출이 전혀 ` +
      '없었고, 나머지는 열리기 전에 시도했습니다). 그만큼 게이트웨이가 회복할 여유가 생깁니다. ' +
      `OPEN ${shape.openMs} ms 뒤에는 시험 호출 하나만 보내고(HALF_OPEN), 실패하면 다시 열리고 성공하면 닫혔습니다` +
      `(OPEN/HALF_OPEN/CLOSED 진입 ${reopened}번). ` +
      (closedAt === undefined
        ? '끝날 때까지 다시 닫히지 않았습니다.'
        : `마지막으로 닫힌 것은 ${seconds(closedAt)}초였고(CLOSED) 그 뒤로 닫힌 채였습니다.`) +
      ` 대가도 있습니다: 재시도로 살릴 수 있었던 결제까지 거절합니다(결제 완료 ${a.paid}건 대 ${b.paid}건). 거절된 주문은 ` +
      'PENDING으로 남고 클라이언트가 나중에 다시 시도합니다(Retry-After).' +
      (a.busy + b.busy > 0 ? ` (벌크헤드가 거절한 결제: ${a.busy} / ${b.busy}건.)` : ''),
  }
  return {
    table: {
      columns: [
        { en: 'way', ko: '방식' },
        { en: 'payments', ko: '결제 요청' },
        { en: 'paid', ko: '결제 완료' },
        { en: '503 after trying', ko: '시도 후 503' },
        { en: '503 breaker OPEN', ko: '브레이커 OPEN 503' },
        { en: '503 bulkhead', ko: '벌크헤드 503' },
        { en: 'gateway calls', ko: '게이트웨이 호출' },
        { en: 'p50 ms', ko: 'p50 ms' },
        { en: 'p99 ms', ko: 'p99 ms' },
        { en: 'opened', ko: 'OPEN 횟수' },
      ],
      rows: [row(ours.way, a), row(naive.way, b)],
    },
    explanation: (language: Language) => explanation[language],
    charts: chartsOf(ours, naive, shape, failureRate),
  }
}

/** When the breaker last went back to CLOSED after being open, in ms since the stream started. */
function lastClosingMs(samples: Sample[]): number | undefined {
  for (let i = samples.length - 1; i > 0; i--) {
    if (samples[i]!.state === 'CLOSED' && samples[i - 1]!.state !== 'CLOSED') return samples[i]!.atMs
  }
  return undefined
}

function chartsOf(ours: BreakerRun, naive: BreakerRun, shape: BreakerShape, failureRate: number): LabChart[] {
  const endMs = Math.max(...[ours, naive].map((run) => run.samples.at(-1)!.atMs))
  const starts = (bucketMs: number) =>
    Array.from({ length: Math.floor(endMs / bucketMs) }, (_, i) => i * bucketMs)
  const inBucket = (run: BreakerRun, from: number, bucketMs: number) =>
    run.samples.filter((s) => s.atMs >= from && s.atMs < from + bucketMs)
  // the state at the end of each bucket, or HALF_OPEN when a probe was in flight in it (it lasts ~30 ms)
  let last: BreakerState = 'CLOSED'
  const states = starts(STATE_BUCKET_MS).map((from) => {
    const seen = inBucket(ours, from, STATE_BUCKET_MS)
    last = seen.at(-1)?.state ?? last
    return STATE_VALUES[seen.some((s) => s.state === 'HALF_OPEN') ? 'HALF_OPEN' : last]
  })
  const callsAt = (run: BreakerRun, atMs: number) => run.samples.findLast((s) => s.atMs <= atMs)?.calls ?? 0
  const callsPer = (run: BreakerRun) =>
    starts(CALLS_BUCKET_MS).map((from) => callsAt(run, from + CALLS_BUCKET_MS) - callsAt(run, from))
  // the median latency of the payments sent in each bucket (null when none was)
  const latencyPer = (run: BreakerRun) =>
    starts(CALLS_BUCKET_MS).map((from) => {
      const sent = run.answers.filter((a) => a.sentAtMs >= from && a.sentAtMs < from + CALLS_BUCKET_MS)
      return sent.length === 0
        ? null
        : percentile(
            sent.map((a) => a.ms),
            50,
          )
    })
  const seconds = (bucketMs: number) => ({
    label: { en: 'seconds since the payments started', ko: '결제 시작 후 초' },
    values: starts(bucketMs).map((ms) => ms / 1000),
  })
  return [
    {
      title: {
        en: 'The payment breaker: CLOSED 0, HALF_OPEN 0.5, OPEN 1 (per 100 ms)',
        ko: '결제 브레이커 상태: CLOSED 0, HALF_OPEN 0.5, OPEN 1 (100 ms 단위)',
      },
      kind: 'line',
      x: seconds(STATE_BUCKET_MS),
      y: { label: { en: 'state', ko: '상태' } },
      series: [
        { name: { en: 'breaker state', ko: '브레이커 상태' }, values: states, steps: true },
        {
          name: {
            en: `gateway failing ${failureRate * 100} %`,
            ko: `게이트웨이 ${failureRate * 100} % 실패 중`,
          },
          values: starts(STATE_BUCKET_MS).map((ms) => (ms < shape.healAtMs ? 1 : 0)),
          steps: true,
        },
      ],
    },
    {
      title: {
        en: `Calls that reached the gateway, per ${CALLS_BUCKET_MS} ms`,
        ko: `게이트웨이에 닿은 호출 (${CALLS_BUCKET_MS} ms 단위)`,
      },
      kind: 'bar',
      x: seconds(CALLS_BUCKET_MS),
      y: { label: { en: 'calls', ko: '호출 수' } },
      series: [
        { name: { en: 'with the breaker', ko: '브레이커 있음' }, values: callsPer(ours) },
        { name: { en: 'without (never opens)', ko: '브레이커 없음' }, values: callsPer(naive) },
      ],
    },
    {
      title: {
        en: `Payment latency, median of the payments sent in each ${CALLS_BUCKET_MS} ms`,
        ko: `결제 지연 시간: ${CALLS_BUCKET_MS} ms마다 보낸 결제의 중앙값`,
      },
      kind: 'line',
      x: seconds(CALLS_BUCKET_MS),
      y: { label: { en: 'ms', ko: 'ms' } },
      series: [
        { name: { en: 'with the breaker', ko: '브레이커 있음' }, values: latencyPer(ours) },
        { name: { en: 'without (never opens)', ko: '브레이커 없음' }, values: latencyPer(naive) },
      ],
    },
  ]
}
