import {distance} from 'fastest-levenshtein'

/** Longer inputs are never close to a name; skipping them also bounds the cost on hostile input. */
const MAX_INPUT_LENGTH = 64

function normalise(name: string): string {
  return name.toLowerCase().replaceAll('-', '_')
}

/**
 * Candidates close enough to `input` to be what was meant, nearest first (at most `limit`).
 * Close enough: an edit distance of at most 2, or a third of the longer name, after lower-casing and
 * treating `-` as `_`; and at most one edit worse than the best match, so a clear winner stands
 * alone. Deterministic: ties keep the candidates' order.
 */
export function nearestNames(input: string, candidates: Iterable<string>, limit = 3): string[] {
  if (input.length === 0 || input.length > MAX_INPUT_LENGTH) return []
  const wanted = normalise(input)
  const scored: Array<{name: string; score: number; order: number}> = []
  let order = 0
  for (const name of candidates) {
    const score = distance(wanted, normalise(name))
    const allowed = Math.max(2, Math.floor(Math.max(wanted.length, name.length) / 3))
    if (score <= allowed && name !== input) scored.push({name, score, order: order++})
  }
  scored.sort((a, b) => a.score - b.score || a.order - b.order)
  const best = scored[0]?.score ?? 0
  return scored.filter((entry) => entry.score <= best + 1).slice(0, limit).map((entry) => entry.name)
}

/** "did you mean `a`?" / "did you mean `a` or `b`?", or undefined when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>, limit = 2): string | undefined {
  const names = nearestNames(input, candidates, limit)
  if (names.length === 0) return undefined
  return `did you mean ${names.map((name) => `\`${name}\``).join(' or ')}?`
}

/** "allowed: `a`, `b`, `c`" for enums and key lists. */
export function allowedValues(values: Iterable<unknown>, label = 'allowed'): string {
  return `${label}: ${[...values].map((value) => `\`${String(value)}\``).join(', ')}`
}

/** A did-you-mean when one is close, otherwise the list of allowed values. */
export function suggestFrom(input: string, candidates: readonly string[], label = 'allowed'): string {
  return didYouMean(input, candidates) ?? allowedValues(candidates, label)
}
