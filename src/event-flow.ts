/**
 * The event path, started once the server listens (main.ts; tests call it when they want events to flow): the
 * publisher connects and creates its topics, the consumers subscribe, then the outbox relay starts polling, and
 * the background jobs start (deps.jobs: the refund worker, the unpaid-order expiry).
 * A broker that is down at start delays nothing: the publisher, the consumers and the relay each keep trying.
 * closeDeps stops it all in the reverse order (the relay after its current batch).
 */
import type { Deps } from './deps'
import { NOTIFICATION_GROUP, NotificationConsumer } from './modules/notifications/notifications.consumer'
import {
  localNotificationStorage,
  remoteNotificationStorage,
} from './modules/notifications/notifications.repository'

export async function startEventFlow(deps: Deps): Promise<void> {
  const { config, events, logger } = deps
  await events.publisher.start().catch((error: Error) => {
    logger.warn({ err: error.message }, 'event broker unreachable at start: the relay will keep trying')
  })
  const prefix = config.kafka?.topicPrefix ?? ''
  const notifications = new NotificationConsumer(
    deps.database.mode === 'file'
      ? localNotificationStorage(deps.database.local)
      : remoteNotificationStorage(deps.database.remote.client),
    logger,
    events.metrics,
  )
  await events.subscriber.subscribe(
    `${prefix}${NOTIFICATION_GROUP}`,
    events.topics.all(),
    notifications.handle,
  )
  events.relay.start()
  for (const job of deps.jobs) job.start()
}
