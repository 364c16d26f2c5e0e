/**
 * One claimed batch through a publisher, deciding each row's fate: published, failed (an attempt spent), or
 * handed back untouched.
 *
 * Order: a batch goes out in rounds, round k holding the k-th event of each aggregate in it, and a round is sent
 * only after the broker acknowledged the one before. So an order's event is sent only once its earlier events are
 * stored: not even one request carries two events of one order (they would go to two topics, and Kafka orders
 * nothing across topics). Most batches are one round (an order's events are rarely claimed together).
 *
 * Failures: a round goes in one publish; if the transport rejects it, its events go one at a time so that only
 * the culprit fails. A row whose event type has no topic fails unsent. Once an event of an aggregate has failed,
 * the aggregate's later events are handed back, so they cannot overtake it. An outage ends the batch: everything
 * not yet acknowledged is handed back.
 */

import type { EventTopics } from './contract'
import { type EventPublisher, type OutgoingEvent, PublishError } from './event-publisher'
import type { ClaimedEvent, Settlement } from './outbox-store'

export type BatchResult = Settlement & {
  /** set when the transport was unreachable: the error and how many events it kept from going */
  outage: { error: unknown; events: number } | undefined
}

/** A claimed row and its message; no message when its event type has no topic. */
type Entry = { row: ClaimedEvent; event: OutgoingEvent | undefined }
type Outage = BatchResult['outage']

export async function publishClaimedBatch(
  batch: readonly ClaimedEvent[],
  publisher: EventPublisher,
  topics: EventTopics,
): Promise<BatchResult> {
  const plan = new BatchPlan()
  const rounds = roundsOf(batch, topics)
  for (const [index, round] of rounds.entries()) {
    const outage = await publishRound(round, publisher, plan)
    if (outage) {
      for (const later of rounds.slice(index + 1)) plan.released.push(...later.map(({ row }) => row.id))
      outage.events += rounds.slice(index + 1).reduce((sum, later) => sum + later.length, 0)
      return plan.result(outage)
    }
  }
  return plan.result(undefined)
}

/** Round k: the k-th event of each aggregate, in id order. */
function roundsOf(batch: readonly ClaimedEvent[], topics: EventTopics): Entry[][] {
  const rounds: Entry[][] = []
  const seen = new Map<string, number>()
  for (const row of batch) {
    const index = seen.get(aggregateOf(row)) ?? 0
    seen.set(aggregateOf(row), index + 1)
    const topic = topics.topicOf(row.eventType)
    rounds[index] ??= []
    rounds[index].push({ row, event: topic === undefined ? undefined : outgoingOf(row, topic) })
  }
  return rounds
}

async function publishRound(round: Entry[], publisher: EventPublisher, plan: BatchPlan): Promise<Outage> {
  const sendable: { row: ClaimedEvent; event: OutgoingEvent }[] = []
  for (const { row, event } of round) {
    if (plan.isHeld(row)) continue
    if (event) sendable.push({ row, event })
    else plan.fail(row, `no topic for event type ${JSON.stringify(row.eventType)}`)
  }
  if (sendable.length === 0) return undefined
  try {
    await publisher.publish(sendable.map(({ event }) => event))
    plan.published.push(...sendable.map(({ row }) => row.id))
    return undefined
  } catch (error) {
    if (isRejection(error)) return publishOneByOne(sendable, publisher, plan)
    plan.released.push(...sendable.map(({ row }) => row.id))
    return { error, events: sendable.length }
  }
}

/** After a rejected round: each event alone, so that only the culprit fails; stops at an outage. */
async function publishOneByOne(
  sendable: { row: ClaimedEvent; event: OutgoingEvent }[],
  publisher: EventPublisher,
  plan: BatchPlan,
): Promise<Outage> {
  let outage: Outage
  for (const { row, event } of sendable) {
    if (outage) {
      plan.released.push(row.id)
      outage.events++
      continue
    }
    try {
      await publisher.publish([event])
      plan.published.push(row.id)
    } catch (error) {
      if (isRejection(error)) plan.fail(row, (error as Error).message)
      else {
        outage = { error, events: 1 }
        plan.released.push(row.id)
      }
    }
  }
  return outage
}

/** The fate of each row of a batch, as it is decided. */
class BatchPlan {
  readonly published: number[] = []
  readonly failed: { id: number; error: string }[] = []
  readonly released: number[] = []
  private readonly failedAggregates = new Set<string>()

  fail(row: ClaimedEvent, error: string): void {
    this.failed.push({ id: row.id, error })
    this.failedAggregates.add(aggregateOf(row))
  }

  /** Whether `row` must wait for an earlier failed event of its aggregate; if so, it is handed back. */
  isHeld(row: ClaimedEvent): boolean {
    if (!this.failedAggregates.has(aggregateOf(row))) return false
    this.released.push(row.id)
    return true
  }

  result(outage: Outage): BatchResult {
    return { published: this.published, failed: this.failed, released: this.released, outage }
  }
}

function isRejection(error: unknown): boolean {
  return error instanceof PublishError && error.kind === 'rejected'
}

const aggregateOf = (row: ClaimedEvent) => `${row.aggregateType}:${row.aggregateId}`

function outgoingOf(row: ClaimedEvent, topic: string): OutgoingEvent {
  return {
    topic,
    key: row.aggregateId,
    eventId: row.eventId,
    eventType: row.eventType,
    value: row.payload,
    traceparent: row.traceContext ?? undefined,
  }
}
