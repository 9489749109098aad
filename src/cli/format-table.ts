/**
 * A plain text table: a header row, then rows, columns padded to their widest cell; the last
 * column is not padded (long summaries wrap in the terminal instead of widening every line).
 */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]) => cells
    .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
    .join('  ')
    .trimEnd()
  return `${[line(header), ...rows.map(line)].join('\n')}\n`
}

/** "… N in all (--offset K for more)" under a page that has more. */
export function moreLine(page: {has_more: boolean; total: number; offset: number; limit: number}): string {
  return page.has_more ? `… ${page.total} in all (--offset ${page.offset + page.limit} for more)\n` : ''
}
