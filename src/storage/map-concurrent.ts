/**
 * `Promise.all(items.map(fn))` with at most `concurrency` calls in flight, results in input order.
 * Ten lines here instead of a dependency: the stores only need this one bounded fan-out.
 */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index])
    }
  }
  await Promise.all(Array.from({length: Math.min(concurrency, items.length)}, worker))
  return results
}
