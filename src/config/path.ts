/** One step into the pipeline document: a mapping key or a sequence index. */
export type PathSegment = string | number

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/

/**
 * Formats a path the way issues show it: `routes.crawl.adapters[2].config.timeout`. Keys that are
 * not identifier-like are quoted (`routes["my route"]`) so every path is unambiguous.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = ''
  for (const segment of segments) out = appendSegment(out, segment)
  return out
}

/** `formatPath([...parent, segment])` given `formatPath(parent)`. */
export function appendSegment(parent: string, segment: PathSegment): string {
  if (typeof segment === 'number') return `${parent}[${segment}]`
  if (PLAIN_KEY.test(segment)) return parent === '' ? segment : `${parent}.${segment}`
  return `${parent}[${JSON.stringify(segment.length > 80 ? `${segment.slice(0, 80)}…` : segment)}]`
}
