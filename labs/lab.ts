/**
 * What every lab is (`bun run lab <name>`): a self-contained experiment that measures the naive way against the
 * project's, prints a small table of measured numbers and a paragraph saying what they show, in English or
 * Korean (LAB_LANG=en|ko; by default from the locale: LC_ALL, LC_MESSAGES, LANG starting with `ko` → Korean).
 * `isFast` shrinks a lab for its test, keeping the direction of its result.
 */
export type Language = 'en' | 'ko'
export type Text = Record<Language, string>

/**
 * A table cell: a measured number, text that reads the same in both languages (a header value, a query plan, a
 * count like `3 / 0 / 4`), or words, given in both.
 */
export type Cell = string | number | Text

export type LabTable = { columns: Text[]; rows: Cell[][] }

/**
 * A picture of a measurement over time or over a parameter (stock over time, the breaker's state, DB loads per
 * second, page time vs page number), drawn in the lab's HTML report (labs/report.ts, labs/out/<lab>.html).
 * `x` is shared by every series; a `null` value leaves a gap. `steps`: drawn as a staircase (a state, a count
 * that changes at instants) rather than a line between points. A series on `y2` is drawn against a second axis
 * on the right (a state or a 0/1 flag next to counts in the hundreds).
 */
export type LabChart = {
  title: Text
  kind: 'line' | 'bar'
  x: { label: Text; values: (number | string)[] }
  y: { label: Text }
  y2?: { label: Text }
  series: { name: Text; values: (number | null)[]; steps?: boolean; axis?: 'y2' }[]
}

export type LabResult = {
  table: LabTable
  /** what the numbers show, said with them */
  explanation: (language: Language) => string
  /** when a picture says more than the table: written to labs/out/<lab>.html with the table and explanation */
  charts?: LabChart[]
}

export type Lab = {
  name: string
  title: Text
  run(options: { isFast: boolean }): Promise<LabResult>
}

export function languageOf(env: Record<string, string | undefined> = process.env): Language {
  if (env.LAB_LANG === 'ko' || env.LAB_LANG === 'en') return env.LAB_LANG
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  return locale.toLowerCase().startsWith('ko') ? 'ko' : 'en'
}

/**
 * A Markdown table of the result, its header and its words in `language`. Columns are padded by display width
 * (Bun.stringWidth: a Hangul syllable takes two terminal columns), so Korean text lines up too.
 */
export function renderTable(table: LabTable, language: Language): string {
  const header = table.columns.map((column) => column[language])
  const cells = table.rows.map((row) => row.map((cell) => cellIn(cell, language)))
  const widths = header.map((title, i) =>
    Math.max(Bun.stringWidth(title), ...cells.map((row) => Bun.stringWidth(String(row[i])))),
  )
  const pad = (value: string, width: number) => value + ' '.repeat(width - Bun.stringWidth(value))
  const line = (values: string[]) => `| ${values.map((v, i) => pad(v, widths[i]!)).join(' | ')} |`
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((row) => line(row.map(String))),
  ].join('\n')
}

function cellIn(cell: Cell, language: Language): string {
  if (typeof cell === 'number') return format(cell)
  return typeof cell === 'string' ? cell : cell[language]
}

function format(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(1)
}
