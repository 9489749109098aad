/** One page of a list (docs/reference/server.md, "Lists"). */
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
  has_more: boolean
}

export interface PageOptions {
  /** 1..1000, default 100. */
  limit?: number
  /** Default 0. */
  offset?: number
}

export const DEFAULT_PAGE_LIMIT = 100
export const MAX_PAGE_LIMIT = 1000

/** Clamps paging input into range (the HTTP layer validates; inner callers may pass anything). */
export function pageBounds(options: PageOptions = {}): {limit: number; offset: number} {
  const limit = Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.trunc(options.limit ?? DEFAULT_PAGE_LIMIT)))
  const offset = Math.max(0, Math.trunc(options.offset ?? 0))
  return {limit, offset}
}

export function toPage<T>(items: T[], total: number, bounds: {limit: number; offset: number}): Page<T> {
  return {items, total, limit: bounds.limit, offset: bounds.offset, has_more: bounds.offset + items.length < total}
}

/** Collects `$n` parameters while a WHERE clause is built. */
export class SqlParams {
  readonly values: unknown[] = []

  /** Adds `value` and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}
