/**
 * Values shared by every adapter instance of one execution, kept in `AdapterResources.executionState`
 * (never in module scope: two executions in one process must not see each other's state).
 */
export const STATE_KEYS = {
  /** `Map<origin, Promise<RobotsRules>>`: robots.txt fetched once per origin. */
  robots: 'web.robots',
  /** `Map<url, claim>` of url_expander: which message first emitted each URL. */
  expandedUrls: 'url_expander.seen',
  /** `Map<url, claim>` of web_crawler: which message rendered each page. */
  crawledPages: 'web_crawler.seen',
  /** `StoredPages`: what web_content_storage stored for each URL in earlier runs (conditional requests). */
  storedPages: 'web.stored_pages',
} as const

/** The value under `key`, created on first use. */
export function sharedState<T>(state: Map<string, unknown>, key: string, create: () => T): T {
  if (state.has(key)) return state.get(key) as T
  const value = create()
  state.set(key, value)
  return value
}
