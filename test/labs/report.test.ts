/**
 * The labs' HTML report (labs/report.ts): the stock lab's charts carry its result (the naive way sells past the
 * stock, ours stops at it), and the written file, opened from the disk in headless Chromium with every network
 * request refused, draws them: Chart.js is inside the page, each canvas gets its chart and real pixels.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import type { LabResult } from '../../labs/lab'
import { chartConfig, renderReport, writeReport } from '../../labs/report'
import { stockLab } from '../../labs/stock'
import { launchChromium } from '../../scripts/chromium'

let result: LabResult
let browser: Browser
const dir = mkdtempSync(join(tmpdir(), 'lab-report-'))

beforeAll(async () => {
  result = await stockLab.run({ isFast: true })
  browser = await launchChromium()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('lab report data', () => {
  test("the stock lab's chart: the naive way's units sold pass the stock, ours end exactly at it", () => {
    const [sold] = result.charts!
    const last = (name: string) => sold!.series.find((s) => s.name.en.startsWith(name))!.values.at(-1)
    expect(last('read-then-write')).toBeGreaterThan(50)
    expect(last('conditional UPDATE')).toBe(50)
    expect(sold!.x.values).toHaveLength(200)
  })

  test('numeric x is a linear axis of points; text x a category axis; steps are stepped; y2 on the right', () => {
    const line = chartConfig(
      {
        title: { en: 't', ko: 't' },
        kind: 'line',
        x: { label: { en: 'x', ko: 'x' }, values: [0, 10, 30] },
        y: { label: { en: 'y', ko: 'y' } },
        series: [{ name: { en: 's', ko: 's' }, values: [1, null, 3], steps: true }],
      },
      'en',
    )
    expect(line.options.scales.x.type).toBe('linear')
    expect(line.data.datasets[0]!.data).toEqual([
      { x: 0, y: 1 },
      { x: 10, y: null },
      { x: 30, y: 3 },
    ])
    expect(line.data.datasets[0]!.stepped).toBe('before')
    expect(line.data.datasets[0]!.yAxisID).toBe('y')
    expect('y2' in line.options.scales).toBe(false)
    const flagged = chartConfig(
      {
        title: { en: 't', ko: 't' },
        kind: 'line',
        x: { label: { en: 'x', ko: 'x' }, values: [0, 1] },
        y: { label: { en: 'events', ko: 'events' } },
        y2: { label: { en: 'down', ko: 'down' } },
        series: [{ name: { en: 'down', ko: 'down' }, values: [0, 1], steps: true, axis: 'y2' }],
      },
      'en',
    )
    expect(flagged.data.datasets[0]!.yAxisID).toBe('y2')
    expect(flagged.options.scales.y2).toMatchObject({ position: 'right', title: { text: 'down' } })
    const bars = chartConfig(
      { ...result.charts![0]!, kind: 'bar', x: { label: { en: 'x', ko: 'x' }, values: ['a', 'b'] } },
      'ko',
    )
    expect(bars.options.scales.x.type).toBe('category')
    expect(bars.data.labels).toEqual(['a', 'b'])
  })

  test('text from a lab cannot close the script element or inject markup', () => {
    const html = renderReport(
      { ...stockLab, title: { en: '<img src=x onerror=alert(1)>', ko: 'x' } },
      {
        ...result,
        charts: [{ ...result.charts![0]!, title: { en: '</script><script>alert(1)</script>', ko: 'x' } }],
      },
      'en',
    )
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('</script><script>alert(1)')
  })
})

describe('lab report in headless Chromium (offline)', () => {
  test('the file opens from the disk with the network refused and draws every chart', async () => {
    const path = await writeReport(stockLab, result, 'ko', dir)
    const page = await browser.newPage()
    const external: string[] = []
    const errors: string[] = []
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith('file://')) return route.continue()
      external.push(url)
      return route.abort('blockedbyclient')
    })
    page.on('pageerror', (error) => errors.push(error.message))

    await page.goto(`file://${path}`)
    // run in the page: its globals are typed loosely here (the tests compile without the DOM library)
    await page.waitForFunction(() => (globalThis as { labChartsDrawn?: number }).labChartsDrawn === 2)
    const drawn = await page.evaluate(() =>
      [...(globalThis as any).document.querySelectorAll('canvas')].map((canvas: any) => {
        const chart = (globalThis as any).Chart.getChart(canvas)
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        let painted = 0
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted += 1
        return {
          datasets: chart?.data.datasets.length ?? 0,
          painted: painted / (canvas.width * canvas.height),
          title: chart?.options.plugins.title.text,
        }
      }),
    )

    expect(errors).toEqual([])
    expect(external).toEqual([])
    expect(drawn).toHaveLength(2)
    expect(drawn.map((chart) => chart.datasets)).toEqual([4, 3])
    expect(drawn[0]!.title).toBe('주문이 끝날 때마다 팔린 수량')
    // axes, labels and lines: far more than a blank canvas (0) and far less than a filled one (1)
    for (const chart of drawn) {
      expect(chart.painted).toBeGreaterThan(0.01)
      expect(chart.painted).toBeLessThan(0.9)
    }
    expect(await page.locator('pre').textContent()).toContain('초과 판매') // the table, in the report's language
    await page.close()
  }, 60_000)
})
