/**
 * The authorization matrix rows of the outbox's dead letters (`A` only): every caller re-drives a dead-lettered
 * event of its own, so the admin's 200 never depends on another caller's row.
 */

import { localFileOf } from '../../src/platform/db/connections'
import { type AuthorizationCase, signedIn } from './authorization-outcomes'
import { insertPoisonEvent } from './outbox-fixtures'

export const OUTBOX_AUTHORIZATION_CASES: AuthorizationCase[] = [
  {
    route: 'GET /api/v1/admin/outbox/dead',
    scenario: 'the first page of dead-lettered events',
    expected: signedIn(200, ['ADMIN']),
    arrange: () => ({ path: '/api/v1/admin/outbox/dead' }),
  },
  {
    route: 'POST /api/v1/admin/outbox/:id/redrive',
    scenario: 'a fresh dead-lettered event',
    expected: signedIn(200, ['ADMIN']),
    arrange: (f) => {
      const sqlite = localFileOf(f.t.deps.database).sqlite
      const id = insertPoisonEvent(sqlite, 999_999)
      sqlite.query("update outbox_events set status = 'DEAD', attempts = 10 where id = ?").run(id)
      return { path: `/api/v1/admin/outbox/${id}/redrive` }
    },
  },
]
