/** What `bun run bench` measures: one wrk target per scenario. */

/**
 * Base URLs: the bare baseline, the main server, the cache variants of scripts/bench/cache.ts and the order
 * anchor (scripts/bench/bare-order-server.ts).
 */
export type Targets = {
  bare: string
  app: string
  redis: string
  l2: string
  uncached: string
  orderAnchor: string
  /** the order server whose relay is paused (its own copy of the database) */
  relayPaused: string
  /** the middleware group's servers (scripts/bench/middleware.ts), when that group runs */
  middleware?: { floor: string; untraced: string; traced: string }
}

export type Scenario = {
  name: string
  /** resolved once after both servers are up (may call the server, e.g. to obtain a cursor or tokens) */
  url: (targets: Targets) => string | Promise<string>
  headers?: Record<string, string>
  /** wrk Lua script, for methods other than GET */
  script?: string
  /** the check before any load (default: a GET of the URL with `headers` must answer 2xx); throws when wrong */
  probe?: (target: string) => Promise<string>
  /** a state the scenario needs around each of its wrk runs (e.g. a dependency broken, then healed) */
  around?: { before(app: string): Promise<void>; after(app: string): Promise<void> }
}
