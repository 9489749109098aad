/** An execution's or a stage's status as a coloured label (the word is always shown: colour is not the only cue). */
export function StatusBadge({status}: {status: string | undefined}) {
  const value = status ?? 'unknown'
  return <span className={`badge status-${value}`}>{value}</span>
}
