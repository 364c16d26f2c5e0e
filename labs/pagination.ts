/**
 * Lab `pagination` (the guide's Phase 5, "페이지네이션"과 "인덱스"; exercise 3): on a generated catalog
 * (db/bulk-products.ts, 300,000 products of which 5 in 7 are public; 30,000 in fast mode), the newest-first
 * listing at page 1, 100 and 10,000 (1,000 in fast mode) two ways, through the real API:
 * - OFFSET (`GET /api/v1/products?page=P&size=20`): the database reads and throws away every row before the page;
 * - keyset cursor (`GET /api/v1/products/cursor?limit=20&cursor=…`): the signed cursor says where the last page
 *   ended, and the index seeks there; reaching page P means following P cursors, each page costs the same.
 * Then the index lab: the cursor page's query plan and time with its index, and after dropping it (a full scan and
 * a sort of every public product for every page).
 */
import { insertBulkProducts } from '../db/bulk-products'
import type { Cell, Lab, Language } from './lab'
import { type LabApp, openLabApp } from './lab-app'

const SIZE = 20
const CURSOR_INDEX = 'idx_products_public_created'
/** the keyset page's statement, as the repository runs it (the newest public products after a position) */
const KEYSET_SQL = `select id from products where status in ('ON_SALE', 'SOLD_OUT')
  and (created_at < ?1 or (created_at = ?1 and id < ?2)) order by created_at desc, id desc limit ${SIZE + 1}`

/** Mean time of `runs` runs after a warm one, in microseconds. */
async function timed<T>(work: () => Promise<T>, runs = 5): Promise<{ us: number; value: T }> {
  let value = await work()
  const startedAt = performance.now()
  for (let i = 0; i < runs; i++) value = await work()
  return { us: Math.round(((performance.now() - startedAt) / runs) * 1000), value }
}

type Position = { page: number; cursor: string | undefined }

/** The cursor of page `page` (0-based), by following the cursors from `from` (an earlier page's, or the first). */
async function cursorOfPage(
  lab: LabApp,
  page: number,
  from: Position = { page: 0, cursor: undefined },
): Promise<string | undefined> {
  let cursor = from.cursor
  for (let p = from.page; p < page; p++) {
    const res = await lab.request(
      'GET',
      `/api/v1/products/cursor?limit=${SIZE}${cursor ? `&cursor=${cursor}` : ''}`,
    )
    cursor = res.body.nextCursor
  }
  return cursor
}

/** Runs `sql` once on a statement of its own, finalized after (a statement left open would lock the schema). */
function allOf<T>(lab: LabApp, sql: string, args: number[] = []): T[] {
  const statement = lab.sqlite.prepare(sql)
  try {
    return statement.all(...args) as T[]
  } finally {
    statement.finalize()
  }
}

function planOf(lab: LabApp, sql: string, args: number[]): string {
  return allOf<{ detail: string }>(lab, `explain query plan ${sql}`, args)
    .map((row) => row.detail)
    .join('; ')
}

export const paginationLab: Lab = {
  name: 'pagination',
  title: {
    en: 'OFFSET vs keyset cursor, and what an index is worth',
    ko: 'OFFSET 대 커서, 그리고 인덱스의 값어치',
  },
  async run({ isFast }) {
    const total = isFast ? 30_000 : 300_000
    const pages = isFast ? [1, 100, 1_000] : [1, 100, 10_000]
    const lab = await openLabApp({ RATE_LIMIT_IP_PER_SECOND: '0', CACHE_ENABLED: 'false' })
    try {
      insertBulkProducts(lab.sqlite, total)
      // the table's pages, and more between them for the chart of time against depth
      const depth = pages.at(-1)!
      const charted = [
        ...new Set([...pages, ...Array.from({ length: 10 }, (_, i) => ((i + 1) * depth) / 10)]),
      ]
      charted.sort((a, b) => a - b)
      const times = new Map<number, { offset: number; keyset: number }>()
      let reached: Position = { page: 0, cursor: undefined }
      for (const page of charted) {
        const offset = await timed(() => lab.request('GET', `/api/v1/products?page=${page - 1}&size=${SIZE}`))
        const cursor = await cursorOfPage(lab, page - 1, reached)
        reached = { page: page - 1, cursor }
        const keyset = await timed(() =>
          lab.request('GET', `/api/v1/products/cursor?limit=${SIZE}${cursor ? `&cursor=${cursor}` : ''}`),
        )
        times.set(page, { offset: offset.us, keyset: keyset.us })
      }
      const [first, deepest] = [times.get(pages[0]!)!, times.get(depth)!]
      const rows: Cell[][] = pages.map((page) => [
        { en: `page ${page.toLocaleString('en-US')}`, ko: `${page.toLocaleString('ko-KR')}페이지` },
        times.get(page)!.offset,
        (page - 1) * SIZE + SIZE,
        times.get(page)!.keyset,
        SIZE + 1,
      ])
      // the index lab: the keyset statement with and without its index
      const [position] = allOf<{ c: number; id: number }>(
        lab,
        `select created_at as c, id from products where status in ('ON_SALE', 'SOLD_OUT')
          order by created_at desc, id desc limit 1 offset ${SIZE * 50}`,
      )
      const args = [position!.c, position!.id]
      const run = () => Promise.resolve(allOf(lab, KEYSET_SQL, args))
      const withIndex = { plan: planOf(lab, KEYSET_SQL, args), ...(await timed(run, 20)) }
      lab.sqlite.run(`drop index ${CURSOR_INDEX}`)
      const withoutIndex = { plan: planOf(lab, KEYSET_SQL, args), ...(await timed(run, 20)) }
      rows.push([
        { en: `index: with ${CURSOR_INDEX}`, ko: `인덱스: ${CURSOR_INDEX} 있음` },
        '',
        '',
        withIndex.us,
        withIndex.plan,
      ])
      rows.push([{ en: 'index: dropped', ko: '인덱스: 삭제 후' }, '', '', withoutIndex.us, withoutIndex.plan])
      const explanation: Record<Language, string> = {
        en:
          `${total.toLocaleString('en-US')} products. OFFSET reads every row before the page and throws it away: ` +
          `page ${depth.toLocaleString('en-US')} took ${deepest.offset} µs (it also counts ` +
          `the total for the page numbers), page 1 ${first.offset} µs. The keyset cursor seeks ` +
          `to where the last page ended: every page costs the same (${deepest.keyset} µs at that ` +
          `depth). Its index is what makes the seek: without ${CURSOR_INDEX} the same page is a scan of the ` +
          `table and a sort (${withoutIndex.us} µs instead of ${withIndex.us} µs).`,
        ko:
          `상품 ${total.toLocaleString('ko-KR')}개. OFFSET은 페이지 앞의 모든 행을 읽고 버립니다: ` +
          `${depth.toLocaleString('ko-KR')}페이지는 ${deepest.offset} µs(페이지 번호를 위한 전체 ` +
          `개수도 셉니다), 1페이지는 ${first.offset} µs. 커서는 지난 페이지가 끝난 곳으로 바로 찾아가므로 ` +
          `모든 페이지의 비용이 같습니다(그 깊이에서 ${deepest.keyset} µs). 그 탐색을 가능하게 하는 것이 ` +
          `인덱스입니다: ${CURSOR_INDEX}가 없으면 같은 페이지가 테이블 전체 스캔과 정렬이 됩니다 ` +
          `(${withIndex.us} µs 대신 ${withoutIndex.us} µs).`,
      }
      return {
        table: {
          columns: [
            { en: 'what', ko: '무엇' },
            { en: 'OFFSET µs', ko: 'OFFSET µs' },
            { en: 'OFFSET rows read', ko: 'OFFSET 읽은 행' },
            { en: 'cursor µs', ko: '커서 µs' },
            { en: 'cursor rows read / plan', ko: '커서 읽은 행 / 실행 계획' },
          ],
          rows,
        },
        explanation: (language) => explanation[language],
        charts: [
          {
            title: { en: 'Time of one page by its depth', ko: '페이지 깊이에 따른 한 페이지의 시간' },
            kind: 'line',
            x: { label: { en: 'page number', ko: '페이지 번호' }, values: charted },
            y: { label: { en: 'µs per page (mean of 5)', ko: '페이지당 µs (5회 평균)' } },
            series: [
              {
                name: { en: 'OFFSET', ko: 'OFFSET' },
                values: charted.map((page) => times.get(page)!.offset),
              },
              {
                name: { en: 'keyset cursor', ko: '키셋 커서' },
                values: charted.map((page) => times.get(page)!.keyset),
              },
            ],
          },
        ],
      }
    } finally {
      await lab.close()
    }
  },
}
