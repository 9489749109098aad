/** Previous / next over a paged list (`total`, `offset`, `limit` as the API returns them). */
export function Pager({total, offset, limit, onOffset}: {total: number; offset: number; limit: number; onOffset: (offset: number) => void}) {
  if (total <= limit && offset === 0) return null
  const last = Math.min(total, offset + limit)
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>← Newer</button>
      <span>{total === 0 ? 0 : offset + 1}–{last} of {total}</span>
      <button type="button" disabled={last >= total} onClick={() => onOffset(offset + limit)}>Older →</button>
    </nav>
  )
}
