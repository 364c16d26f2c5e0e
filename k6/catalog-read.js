// Catalog read load: product detail, a filtered search page and a walk of cursor pages.
// Run: k6 run -e BASE_URL=http://localhost:8080 k6/catalog-read.js   (k6: go install go.k6.io/k6@latest)
// The thresholds are the service's SLOs for catalog reads; k6 exits non-zero when one is missed.
import { check, group } from 'k6'
import http from 'k6/http'

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080'

export const options = {
  scenarios: {
    readers: { executor: 'constant-vus', vus: Number(__ENV.VUS || 64), duration: __ENV.DURATION || '30s' },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    'http_req_duration{name:detail}': ['p(99)<50'],
    'http_req_duration{name:search}': ['p(99)<100'],
    'http_req_duration{name:cursor}': ['p(99)<100'],
  },
}

export default function () {
  group('detail', () => {
    const res = http.get(`${BASE_URL}/api/v1/products/${1 + Math.floor(Math.random() * 4)}`, {
      tags: { name: 'detail' },
    })
    check(res, { 'detail 200': (r) => r.status === 200, 'has ETag': (r) => Boolean(r.headers.Etag) })
  })
  group('search', () => {
    const res = http.get(`${BASE_URL}/api/v1/products?categoryId=1&minPrice=1000&sort=price,asc&size=20`, {
      tags: { name: 'search' },
    })
    check(res, { 'search 200': (r) => r.status === 200 })
  })
  group('cursor', () => {
    let cursor = ''
    for (let page = 0; page < 3; page++) {
      const res = http.get(`${BASE_URL}/api/v1/products/cursor?limit=20${cursor}`, {
        tags: { name: 'cursor' },
      })
      check(res, { 'cursor 200': (r) => r.status === 200 })
      const body = res.json()
      if (!body.hasNext) break
      cursor = `&cursor=${body.nextCursor}`
    }
  })
}
