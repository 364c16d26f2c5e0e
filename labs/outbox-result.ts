/**
 * What the `outbox` lab measured, as a table, a chart over time and a paragraph: each relay's outbox rows (what
 * the app appended and marked PUBLISHED) set against the records a consumer found on its topics.
 */
import type { LabChart, LabResult, Language, Text } from './lab'
import type { TopicRecord } from './outbox-topics'

type RelayOutcome = {
  way: 'naive' | 'ours'
  failedOrders: number
  /** every outbox row at the end */
  rows: { eventId: string; status: string }[]
  /** every record on the relay's topics, duplicates included */
  records: TopicRecord[]
  /** the outbox counts, one per timeline point */
  samples: { appended: number; published: number }[]
}

type OutboxRun = {
  outcomes: RelayOutcome[]
  /** ms since the order stream began, and whether the broker was down then */
  timeline: { atMs: number; isDown: boolean }[]
  startedAt: number
  /** from the broker's stop until it answered again */
  downSeconds: number
  /** ms since the order stream began when the broker answered again */
  upAtMs: number
  ordersPerSecond: number
  naiveFailedSends: number
}

type Counts = {
  appended: number
  marked: number
  delivered: number
  lost: number
  duplicates: number
  pending: number
  failedOrders: number
}

const WAYS: Record<RelayOutcome['way'], Text> = {
  naive: { en: 'mark then send (naive)', ko: '표시 후 전송 (단순한 방식)' },
  ours: { en: 'send, ack, then mark (ours)', ko: '전송, ack 후 표시 (우리 방식)' },
}

function countsOf(outcome: RelayOutcome): Counts {
  const onTopic = new Set(outcome.records.map((record) => record.eventId))
  const isOnTopic = (row: { eventId: string }) => onTopic.has(row.eventId)
  return {
    appended: outcome.rows.length,
    marked: outcome.rows.filter((row) => row.status === 'PUBLISHED').length,
    delivered: outcome.rows.filter(isOnTopic).length,
    lost: outcome.rows.filter((row) => row.status === 'PUBLISHED' && !isOnTopic(row)).length,
    duplicates: outcome.records.length - onTopic.size,
    pending: outcome.rows.filter((row) => row.status !== 'PUBLISHED').length,
    failedOrders: outcome.failedOrders,
  }
}

/** How many distinct events the broker had stored at each timeline point (by its append time of the first copy). */
function onTopicOverTime(outcome: RelayOutcome, run: OutboxRun): number[] {
  const firstAppended = new Map<string, number>()
  for (const { eventId, appendedAt } of outcome.records) {
    firstAppended.set(eventId, Math.min(appendedAt, firstAppended.get(eventId) ?? Infinity))
  }
  const times = [...firstAppended.values()].sort((a, b) => a - b)
  let stored = 0
  return run.timeline.map(({ atMs }) => {
    while (stored < times.length && times[stored]! <= run.startedAt + atMs) stored++
    return stored
  })
}

function chartOf(run: OutboxRun): LabChart {
  const [naive, ours] = run.outcomes as [RelayOutcome, RelayOutcome]
  const appended = (outcome: RelayOutcome) => outcome.samples.map((sample) => sample.appended)
  return {
    title: {
      en: 'Outbox events and the topic, broker stopped mid-stream',
      ko: '아웃박스 이벤트와 토픽, 도중에 브로커 중단',
    },
    kind: 'line',
    x: { label: { en: 'seconds', ko: '초' }, values: run.timeline.map(({ atMs }) => atMs / 1_000) },
    y: { label: { en: 'events', ko: '이벤트 수' } },
    y2: { label: { en: 'broker down (1 = down)', ko: '브로커 중단 (1 = 중단)' } },
    series: [
      { name: { en: 'appended (ours)', ko: '추가됨 (우리)' }, values: appended(ours) },
      { name: { en: 'on the topic (ours)', ko: '토픽에 있음 (우리)' }, values: onTopicOverTime(ours, run) },
      { name: { en: 'appended (naive)', ko: '추가됨 (naive)' }, values: appended(naive) },
      {
        name: { en: 'marked PUBLISHED (naive)', ko: 'PUBLISHED 표시 (naive)' },
        values: naive.samples.map((sample) => sample.published),
      },
      {
        name: { en: 'on the topic (naive)', ko: '토픽에 있음 (naive)' },
        values: onTopicOverTime(naive, run),
      },
      {
        name: { en: 'broker down (1 = down)', ko: '브로커 중단 (1 = 중단)' },
        values: run.timeline.map(({ isDown }) => (isDown ? 1 : 0)),
        steps: true,
        axis: 'y2',
      },
    ],
  }
}

/**
 * Seconds from the broker answering again until our relay had marked PUBLISHED (so: acknowledged) every event
 * appended until then: when the outage's backlog was on the topic. Undefined if that never happened.
 */
function catchUpSeconds(outcome: RelayOutcome, run: OutboxRun): number | undefined {
  const upIndex = run.timeline.findIndex(({ atMs }) => atMs >= run.upAtMs)
  if (upIndex < 0) return undefined
  const backlog = outcome.samples[upIndex]!.appended
  const index = outcome.samples.findIndex((sample, i) => i >= upIndex && sample.published >= backlog)
  return index < 0 ? undefined : (run.timeline[index]!.atMs - run.upAtMs) / 1_000
}

export function explainOutboxRun(run: OutboxRun): LabResult {
  const [naiveOutcome, oursOutcome] = run.outcomes as [RelayOutcome, RelayOutcome]
  const naive = countsOf(naiveOutcome)
  const ours = countsOf(oursOutcome)
  const rows = run.outcomes.map((outcome) => {
    const c = countsOf(outcome)
    return [
      WAYS[outcome.way],
      c.appended,
      c.marked,
      c.delivered,
      c.lost,
      c.duplicates,
      c.pending,
      c.failedOrders,
    ]
  })
  const down = run.downSeconds.toFixed(1)
  const failedOrders = naive.failedOrders + ours.failedOrders
  const peakBacklog = Math.max(...oursOutcome.samples.map((sample) => sample.appended - sample.published))
  const caughtUp = catchUpSeconds(oursOutcome, run)
  const isAllDelivered = ours.delivered === ours.appended
  const en = {
    naive:
      naive.lost > 0
        ? `only ${naive.delivered} are on the topic: ${naive.lost} are lost for good. `
        : `and ${naive.delivered} are on the topic: none lost this time (the outage fell between its polls). `,
    caughtUp:
      caughtUp === undefined
        ? 'it had not caught up when the lab stopped waiting'
        : `${caughtUp.toFixed(1)} s after the broker answered again the backlog was on the topic`,
    ours: isAllDelivered
      ? `every one of its ${ours.appended} events is on the topic`
      : `${ours.delivered} of its ${ours.appended} events are on the topic`,
    duplicates:
      ours.duplicates === 0
        ? 'No event came twice this run, but one may: '
        : `${ours.duplicates} record(s) were a second copy of an event: `,
  }
  const ko = {
    naive:
      naive.lost > 0
        ? `토픽에는 ${naive.delivered}건뿐입니다: ${naive.lost}건은 영영 사라졌습니다. `
        : `토픽에도 ${naive.delivered}건이 있습니다: 이번에는 손실이 없었습니다(중단이 폴링 사이에 끼었습니다). `,
    caughtUp:
      caughtUp === undefined
        ? '실습이 기다리는 동안 밀린 이벤트를 다 보내지 못했습니다'
        : `브로커가 다시 응답하고 ${caughtUp.toFixed(1)}초 뒤 밀린 이벤트가 토픽에 올라갔습니다`,
    ours: isAllDelivered
      ? `이벤트 ${ours.appended}건이 모두 토픽에 있습니다`
      : `이벤트 ${ours.appended}건 중 ${ours.delivered}건이 토픽에 있습니다`,
    duplicates:
      ours.duplicates === 0
        ? '이번에는 두 번 온 이벤트가 없었지만 그럴 수 있습니다: '
        : `레코드 ${ours.duplicates}건은 같은 이벤트의 두 번째 사본이었습니다: `,
  }
  const explanation: Record<Language, string> = {
    en:
      `Orders kept coming (${run.ordersPerSecond}/s into each app, ${failedOrders} failed) while the Kafka broker ` +
      `was stopped and started again: down ${down} s. Mark-then-send marked ${naive.marked} of ` +
      `${naive.appended} events PUBLISHED, ${en.naive}Each poll during the outage marked the new rows first and ` +
      `then failed to send them (${run.naiveFailedSends} events in failed sends, only logged); a row marked ` +
      'PUBLISHED is never picked up again. Our relay marks a row only after the broker acknowledged it: during ' +
      `the outage its sends failed, the rows stayed PENDING (up to ${peakBacklog} waiting) and the relay backed ` +
      `off; ${en.caughtUp}, and in the end ${en.ours} (${ours.lost} lost, ${ours.pending} pending). ` +
      `${en.duplicates}delivery is at-least-once — a send whose ack is lost in an outage is sent again — so ` +
      'consumers deduplicate by event id (the inbox_events table).',
    ko:
      `주문은 계속 들어왔고(앱마다 초당 ${run.ordersPerSecond}건, 실패 ${failedOrders}건) 그동안 Kafka 브로커를 ` +
      `멈췄다가 다시 띄웠습니다: 중단 ${down}초. 표시 후 전송 방식은 이벤트 ${naive.appended}건 중 ${naive.marked}건을 ` +
      `PUBLISHED로 표시했지만 ${ko.naive}중단 동안의 매 폴링은 새 행을 먼저 표시한 뒤 전송에 실패했고(실패한 전송에 ` +
      `담긴 이벤트 ${run.naiveFailedSends}건, 로그만 남음), PUBLISHED로 표시된 행은 다시 집어 가지 않습니다. 우리 ` +
      '릴레이는 브로커가 확인(ack)한 뒤에만 표시합니다: 중단 동안 전송은 실패했고, 행은 PENDING으로 남았으며' +
      `(최대 ${peakBacklog}건 대기) 릴레이는 간격을 늘려 기다렸습니다. ${ko.caughtUp}. 결국 ${ko.ours}(손실 ` +
      `${ours.lost}, 대기 ${ours.pending}). ${ko.duplicates}전달은 최소 한 번(at-least-once)이라 중단 중 ack를 ` +
      '잃은 전송은 다시 보내지므로, 소비자는 이벤트 id로 중복을 걸러 냅니다(inbox_events 테이블).',
  }
  return {
    table: {
      columns: [
        { en: 'relay', ko: '릴레이' },
        { en: 'appended', ko: '추가됨' },
        { en: 'marked PUBLISHED', ko: 'PUBLISHED 표시' },
        { en: 'on the topic', ko: '토픽에 있음' },
        { en: 'lost', ko: '손실' },
        { en: 'duplicates', ko: '중복' },
        { en: 'still pending', ko: '대기 중' },
        { en: 'orders failed', ko: '주문 실패' },
      ],
      rows,
    },
    explanation: (language) => explanation[language],
    charts: [chartOf(run)],
  }
}
