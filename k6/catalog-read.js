// Catalog read load: product detail, a filtered search page and a walk of cursor pages.
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/catalog-read.js
// Server settings: see k6/lib/marketplace.js (TRUSTED_PROXIES = this machine: each virtual user reads from an
// address of its own, so the per-IP limit counts users, not the load generator).
// The thresholds are the service's SLOs for catalog reads; k6 exits non-zero when one is missed.
import { check, group } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'
import { BASE_URL, paramsOf } from './lib/marketplace.js'

export const options = {
  scenarios: {
    readers: { executor: 'constant-vus', vus: Number(__ENV.VUS || 64), duration: __ENV.DURATION || '30s' },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    'http_req_duration{name:detail}': ['p(95)<20', 'p(99)<50'],
    'http_req_duration{name:search}': ['p(95)<50', 'p(99)<100'],
    'http_req_duration{name:cursor}': ['p(95)<50', 'p(99)<100'],
  },
}

export default function () {
  const n = exec.vu.idInTest
  group('detail', () => {
    const res = http.get(
      `${BASE_URL}/api/v1/products/${1 + Math.floor(Math.random() * 4)}`,
      paramsOf(n, 'detail'),
    )
    check(res, { 'detail 200': (r) => r.status === 200, 'has ETag': (r) => Boolean(r.headers.Etag) })
  })
  group('search', () => {
    const url = `${BASE_URL}/api/v1/products?categoryId=1&minPrice=1000&sort=price,asc&size=20`
    check(http.get(url, paramsOf(n, 'search')), { 'search 200': (r) => r.status === 200 })
  })
  group('cursor', () => {
    let cursor = ''
    for (let page = 0; page < 3; page++) {
      const res = http.get(`${BASE_URL}/api/v1/products/cursor?limit=20${cursor}`, paramsOf(n, 'cursor'))
      check(res, { 'cursor 200': (r) => r.status === 200 })
      if (res.status !== 200 || !res.json('hasNext')) break
      cursor = `&cursor=${encodeURIComponent(String(res.json('nextCursor')))}`
    }
  })
}
