/** The k of reciprocal-rank fusion (docs/reference/adapters.md): dampens the weight of the very first ranks. */
export const RRF_K = 60

/**
 * Reciprocal-rank fusion: every list gives an item weight / (k + rank), rank counted from 1 (the
 * weight of list i is `weights[i]`, default 1); an item's score is the sum over the lists it appears
 * in. Returns the `limit` best, ties by first appearance.
 */
export function reciprocalRankFusion<T>(lists: readonly (readonly T[])[], keyOf: (item: T) => string, limit: number, k = RRF_K, weights: readonly number[] = []): {item: T; score: number}[] {
  const fused = new Map<string, {item: T; score: number; order: number}>()
  let order = 0
  lists.forEach((list, listIndex) => {
    const weight = weights[listIndex] ?? 1
    list.forEach((item, index) => {
      const key = keyOf(item)
      const entry = fused.get(key) ?? {item, score: 0, order: order++}
      entry.score += weight / (k + index + 1)
      fused.set(key, entry)
    })
  })
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map(({item, score}) => ({item, score}))
}
