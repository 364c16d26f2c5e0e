#!/usr/bin/env bash
# Fuzzes the running API from its own OpenAPI document with schemathesis, once per role (anonymous, buyer,
# seller, admin). Passes only with zero server errors and zero schema/status/content-type violations.
# The rate limits are raised (not off: 429 stays documented and checked) so fuzzing explores more than 429s.
# Usage: scripts/api-fuzz.sh [max-examples] [file|sqld]   (needs `pip install schemathesis`; starts its own server)
# `sqld`: the server runs on a libSQL server primary (a sqld of its own, found as scripts/sqld.ts says), so the
# remote write paths (one batch per operation) are fuzzed too.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-40}"
DATABASE="${2:-file}"
WORK="$(mktemp -d /tmp/marketplace-fuzz.XXXXXX)"
PORT="$(bun -e 'const s = Bun.serve({ port: 0, fetch: () => new Response() }); console.log(s.port); s.stop(true)')"
BASE="http://127.0.0.1:${PORT}"
DATABASE_URL="file:${WORK}/fuzz.db"
if [ "$DATABASE" = sqld ]; then
  DATABASE_URL="$(bun scripts/sqld.ts up "${WORK}/sqld")"
  echo "== on the libSQL server ${DATABASE_URL}"
fi

DATABASE_URL="$DATABASE_URL" UPLOAD_DIR="${WORK}/uploads" SEED_DEMO_DATA=true LOG_LEVEL=warn PORT="$PORT" \
  HOST=127.0.0.1 JWT_SECRET="fuzz-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  LOGIN_MAX_FAILURES=1000 LOGIN_IP_MAX_FAILURES=100000 LOGIN_ACCOUNT_MAX_FAILURES=100000 SIGNUP_MAX_PER_IP=100000 \
  RATE_LIMIT_IP_PER_SECOND=100000 RATE_LIMIT_ORDERS_PER_SECOND=100000 bun src/main.ts >"${WORK}/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true
  [ "$DATABASE" = sqld ] && bun scripts/sqld.ts down "${WORK}/sqld"; rm -rf "$WORK"' EXIT

for _ in $(seq 1 100); do curl -sf "${BASE}/actuator/health/readiness" >/dev/null && break; sleep 0.1; done
if ! curl -sf "${BASE}/actuator/health/readiness" >/dev/null; then
  echo "the server did not become ready in 10 s; its log:"; tail -20 "${WORK}/server.log"; exit 1
fi

token() {
  curl -sf -X POST "${BASE}/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
failed=0
run_role() {
  local role="$1"; shift
  echo "== schemathesis as ${role}"
  if schemathesis run "${BASE}/v3/api-docs" --url "$BASE" --checks "$CHECKS" -n "$MAX_EXAMPLES" \
      --no-color --seed 20261126 --request-timeout 10 "$@" >"${WORK}/st-${role}.log" 2>&1; then
    echo "   ${role}: $(grep -E 'generated' "${WORK}/st-${role}.log" | tail -1 | sed 's/^ *//')"
  else
    failed=1
    sed -n '/FAILURES/,$p' "${WORK}/st-${role}.log" | head -150
  fi
}

run_role anonymous
run_role buyer -H "Authorization: Bearer $(token buyer@example.com 'buyer123!')" --exclude-path /api/v1/auth/logout
run_role seller -H "Authorization: Bearer $(token seller@example.com 'seller123!')" --exclude-path /api/v1/auth/logout
run_role admin -H "Authorization: Bearer $(token admin@example.com 'admin123!')" --exclude-path /api/v1/auth/logout

if grep -q '"level":50' "${WORK}/server.log"; then
  echo "server logged errors:"; grep '"level":50' "${WORK}/server.log" | head -20; failed=1
fi
[ "$failed" = 0 ] && echo "schemathesis: no failures for any role" || echo "schemathesis: FAILURES"
exit "$failed"
