import type { Cell, LabTable } from '../../labs/lab'

/** A table cell as the English table shows it: the English side of words, numbers and plain text as they are. */
export const en = (cell: Cell | undefined) => (typeof cell === 'object' ? cell.en : cell)

/**
 * The cell, as the English table shows it, of the first row whose way (its first cell) starts with `way`, in the
 * column titled `column` in English; throws with the whole table when either is missing.
 */
export function cellOf(table: LabTable, way: string, column: string): string | number {
  const index = table.columns.findIndex((c) => c.en === column)
  const row = table.rows.find((r) => String(en(r[0])).startsWith(way))
  if (index < 0 || !row) throw new Error(`no cell ${way} / ${column} in ${JSON.stringify(table)}`)
  return en(row[index])!
}

/** cellOf as a number; a cell printed with thousands separators (`1,000`) read as the number it shows. */
export const numberOf = (table: LabTable, way: string, column: string) =>
  Number(String(cellOf(table, way, column)).replaceAll(',', ''))
