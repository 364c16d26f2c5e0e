/**
 * A lab's HTML report: its title, table, explanation and charts in one self-contained file,
 * labs/out/<lab>.html, written when the lab has something to draw. The charts are drawn by Chart.js (MIT, a
 * dev dependency), whose UMD build is copied into the page: the report opens from the disk with no server and
 * no network, and can be mailed or attached as it is.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Lab, type LabChart, type LabResult, type Language, renderTable } from './lab'

const REPORT_DIR = join(import.meta.dir, 'out')

/** Chart.js's browser build, read once: the `import` entry is dist/chart.js, the UMD build sits next to it. */
let chartLibrary: string | undefined
function chartJs(): string {
  chartLibrary ??= readFileSync(
    join(dirname(Bun.resolveSync('chart.js', import.meta.dir)), 'chart.umd.min.js'),
    'utf8',
  )
  return chartLibrary
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** JSON placed inside a <script>: `<` escaped, so no string in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c')

/** One LabChart as a Chart.js configuration: numeric x on a linear axis (true distances), text x as categories. */
export function chartConfig(chart: LabChart, language: Language) {
  const isNumericX = chart.kind === 'line' && chart.x.values.every((x) => typeof x === 'number')
  return {
    type: chart.kind,
    data: {
      labels: isNumericX ? undefined : chart.x.values,
      datasets: chart.series.map((series) => ({
        label: series.name[language],
        data: isNumericX ? series.values.map((y, i) => ({ x: chart.x.values[i], y })) : series.values,
        stepped: series.steps ? 'before' : false,
        yAxisID: series.axis ?? 'y',
        pointRadius: series.values.length > 60 ? 0 : 2,
        borderWidth: 2,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      plugins: { title: { display: true, text: chart.title[language] } },
      scales: {
        x: {
          type: isNumericX ? 'linear' : 'category',
          title: { display: true, text: chart.x.label[language] },
        },
        y: { title: { display: true, text: chart.y.label[language] } },
        ...(chart.y2 && {
          y2: {
            position: 'right',
            grid: { drawOnChartArea: false },
            title: { display: true, text: chart.y2.label[language] },
          },
        }),
      },
    },
  }
}

export function renderReport(lab: Lab, result: LabResult, language: Language): string {
  const charts = (result.charts ?? []).map((chart) => chartConfig(chart, language))
  const canvases = charts
    .map((_, i) => `<div class="chart"><canvas id="chart-${i}"></canvas></div>`)
    .join('\n')
  const paragraphs = result
    .explanation(language)
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`)
    .join('\n')
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`${lab.name}: ${lab.title[language]}`)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #222; }
  pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; font-size: 0.85rem; }
  .chart { margin: 2rem 0; }
</style>
</head>
<body>
<h1>${escapeHtml(lab.title[language])}</h1>
<p><code>bun run lab ${escapeHtml(lab.name)}</code> · ${escapeHtml(new Date().toISOString())}</p>
${canvases}
<pre>${escapeHtml(renderTable(result.table, language))}</pre>
${paragraphs}
<script>${chartJs()}</script>
<script>
  const configs = ${scriptJson(charts)};
  configs.forEach((config, i) => new Chart(document.getElementById('chart-' + i), config));
  window.labChartsDrawn = configs.length;
</script>
</body>
</html>
`
}

/** Writes labs/out/<lab>.html (or into `dir`) and returns its path. */
export async function writeReport(
  lab: Lab,
  result: LabResult,
  language: Language,
  dir = REPORT_DIR,
): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${lab.name}.html`)
  await Bun.write(path, renderReport(lab, result, language))
  return path
}
