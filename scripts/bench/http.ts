/** What several bench scenarios need from the running server: signing in, and wrk Lua that counts bad answers. */
import { DEMO_MEMBERS } from '../../db/demo-data'

/** An access token from the running server (its JWT_SECRET is random per bench run). */
export async function login(app: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${app}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  const body = await response.text()
  if (response.status !== 200) throw new Error(`login of ${email}: ${response.status}\n${body}`)
  return (JSON.parse(body) as { accessToken: string }).accessToken
}

/** The token of the demo member of `role` (db/demo-data.ts: the bench server seeds the demo data). */
export function loginDemo(app: string, role: (typeof DEMO_MEMBERS)[number]['role']): Promise<string> {
  const member = DEMO_MEMBERS.find((m) => m.role === role)!
  return login(app, member.email, member.password)
}

/**
 * The wrk Lua every scripted scenario ends with: answers other than `expected` counted per thread and printed as
 * the line scripts/bench/wrk.ts reads ("Non-201 responses: n", whatever `expected` is).
 */
export function luaCountingUnexpected(expected: number): string {
  return `local threads = {}
unexpected = 0

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status ~= ${expected} then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("Non-201 responses: %d\\n", total))
end
`
}
