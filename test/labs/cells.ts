import type { Cell } from '../../labs/lab'

/** A table cell as the English table shows it: the English side of words, numbers and plain text as they are. */
export const en = (cell: Cell | undefined) => (typeof cell === 'object' ? cell.en : cell)
