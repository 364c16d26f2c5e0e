/**
 * Every event the app produces, merged from the features' contracts (`modules/<feature>/<feature>.events.ts`):
 * the relay routes outbox rows to topics by it and consumers check what they receive against it.
 */
import { ORDER_EVENTS } from './modules/orders/orders.events'
import type { EventCatalog } from './platform/events/contract'

export const EVENT_CATALOG = { ...ORDER_EVENTS } as const satisfies EventCatalog
