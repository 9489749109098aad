import {z} from 'zod'

import {createStageResultCache, type StageResultCache} from '../../stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../stage-results/stage-key.js'
import type {AdapterResources} from '../types.js'
import {sharedState, STATE_KEYS} from './shared-state.js'

/**
 * What web_content_storage remembers of the last page it stored for a URL, across runs: the
 * artefact (key, sha256 of its bytes, content type, length, title), where the URL led, and the
 * server's validators for a conditional request.
 */
export const storedPageSchema = z.strictObject({
  storage_key: z.string().min(1),
  content_hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The artefact's content type (`text/html; charset=utf-8` for text: stored as UTF-8). */
  content_type: z.string(),
  content_length: z.number().int().nonnegative(),
  final_url: z.string(),
  title: z.string().optional(),
  etag: z.string().optional(),
  last_modified: z.string().optional(),
})
export type StoredPage = z.output<typeof storedPageSchema>

/**
 * Stored pages by URL, kept as rows of `stage_results` (adapter type `web_content_storage`, the
 * input hash being the URL's sha256) so they live in the run's database across runs. Best effort,
 * as every stage result: without a database nothing is remembered and every page is fetched and
 * stored in full; a lookup that fails is a miss.
 */
export interface StoredPages {
  get(url: string): Promise<StoredPage | undefined>
  /**
   * Starts the lookups of `urls` now, batched (url_expander knows a sitemap's URLs before
   * web_scraper asks for any), so that `get` finds them answered instead of paying a database
   * round trip per few fetches. Each prefetched answer is handed out once; at most
   * `PREFETCH_LIMIT` wait at a time, the rest are looked up when asked.
   */
  prefetch(urls: Iterable<string>): void
  /** Remembers (replaces) the page stored for `url`; resolves once queued (see `StageResultCache.putBehind`). */
  put(url: string, page: StoredPage, executionId: string): Promise<void>
  close(): Promise<void>
}

/** Bump when the record's meaning changes: older records are then misses, never misread. */
const RECORD_VERSION = 'stored-page/1'
const CONFIG_HASH = stageConfigHash('web_content_storage', RECORD_VERSION, {})

/** Prefetched answers kept waiting for their `get` (a few MB at most; a sitemap's URLs are in memory anyway). */
export const PREFETCH_LIMIT = 10_000

/** One `StoredPages` per execution, shared by web_scraper (reads) and web_content_storage (reads, writes). */
export function storedPagesFor(resources: AdapterResources): StoredPages {
  return sharedState(resources.executionState, STATE_KEYS.storedPages, () => createStoredPages(resources))
}

function createStoredPages(resources: AdapterResources): StoredPages {
  const cache: StageResultCache<StoredPage> = createStageResultCache({
    adapterType: 'web_content_storage', schema: storedPageSchema,
    database: () => resources.database(), storage: resources.storage, logger: resources.logger,
    emptyAtStart: resources.newDatabase,
  })
  const keyOf = (url: string) => ({configHash: CONFIG_HASH, inputHash: stageInputHash(url)})
  const ahead = new Map<string, Promise<StoredPage | undefined>>()
  return {
    get(url) {
      const pending = ahead.get(url)
      if (pending === undefined) return cache.get(keyOf(url))
      ahead.delete(url)
      return pending
    },
    prefetch(urls) {
      for (const url of urls) {
        if (ahead.size >= PREFETCH_LIMIT) return
        if (!ahead.has(url)) ahead.set(url, cache.get(keyOf(url)))
      }
    },
    put: (url, page, executionId) => cache.putBehind(keyOf(url), page, {executionId}),
    close: () => cache.close(),
  }
}
