/**
 * The Grafana dashboard, written as data: the rows of panels in dashboard-rows.ts, laid out here.
 * `bun run monitoring:dashboard` writes monitoring/grafana/dashboards/marketplace.json from them;
 * test/observability/prometheus.test.ts checks that file is what this produces and runs every panel's query
 * against a real Prometheus scraping a running app.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROWS } from './dashboard-rows'

export const DASHBOARD_FILE = join(
  import.meta.dir,
  '..',
  '..',
  'monitoring',
  'grafana',
  'dashboards',
  'marketplace.json',
)

const WIDTH = 24
const PANEL_HEIGHT = 8

/** Grafana's dashboard JSON (schema 39): a collapsed-free row per group, panels two per line. */
export function dashboardJson(): string {
  const panels: unknown[] = []
  let y = 0
  let id = 1
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: WIDTH, x: 0, y },
      panels: [],
    })
    y += 1
    row.panels.forEach((panel, i) => {
      const x = (i % 2) * (WIDTH / 2)
      if (i > 0 && i % 2 === 0) y += PANEL_HEIGHT
      panels.push({
        id: id++,
        type: panel.type ?? 'timeseries',
        title: panel.title,
        description: panel.description,
        datasource: { type: 'prometheus', uid: 'prometheus' },
        gridPos: { h: PANEL_HEIGHT, w: WIDTH / 2, x, y },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
        targets: panel.queries.map((query, index) => ({
          refId: String.fromCharCode(65 + index),
          datasource: { type: 'prometheus', uid: 'prometheus' },
          expr: query.expr,
          legendFormat: query.legend,
        })),
      })
    })
    y += PANEL_HEIGHT
  }
  const dashboard = {
    uid: 'marketplace-main',
    title: 'Marketplace',
    tags: ['marketplace'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    editable: false,
    panels,
  }
  return `${JSON.stringify(dashboard, null, 2)}\n`
}

if (import.meta.main) {
  writeFileSync(DASHBOARD_FILE, dashboardJson())
  console.log(`wrote ${DASHBOARD_FILE}`)
}
