import {z} from 'zod'

import {createStageResultCache, type StageResultCache} from '../../stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../stage-results/stage-key.js'
import type {Database} from '../../db/types.js'
import type {AdapterContext, AdapterResources} from '../types.js'
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
  /** The execution that last ran the page through the pipeline (stored it, or passed it on unchanged). */
  execution_id: z.string().optional(),
  /** That execution's `FinishedWork.fingerprint`. */
  pipeline: z.string().regex(/^[0-9a-f]{64}$/).optional(),
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
  /**
   * The record fields that say this execution runs the page through the pipeline: its id and,
   * when it can be known, its fingerprint (`FinishedWork.fingerprint`).
   */
  runBy(context: AdapterContext): Promise<Pick<StoredPage, 'execution_id' | 'pipeline'>>
  /**
   * True when the rest of the chain of a page found unchanged (a 304, or the same bytes) may be
   * skipped after stage `context.stage`: its record names an earlier execution with this run's
   * fingerprint, that execution completed and dead-lettered nothing (so it ran the page through
   * every later stage), and nothing after this stage discovers URLs
   * (docs/decisions.md, "A re-run ends an unchanged page's chain"). Best effort: any doubt (no
   * fingerprint, no database, a failed query) answers false, and the page flows on as before.
   */
  finished(page: StoredPage, context: AdapterContext): Promise<boolean>
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
  const {finishedWork} = resources
  // Per earlier execution: whether it completed cleanly (asked once per run).
  const cleanly = new Map<string, Promise<boolean>>()
  const completedCleanly = (executionId: string) => {
    let answer = cleanly.get(executionId)
    if (answer === undefined) {
      answer = resources.database().then((db) => executionCompletedCleanly(db, executionId)).catch((error: unknown) => {
        resources.logger.debug({err: error, execution_id: executionId}, 'could not read an earlier execution: unchanged pages flow on')
        return false
      })
      cleanly.set(executionId, answer)
    }
    return answer
  }
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
    async runBy(context) {
      const pipeline = await finishedWork?.fingerprint()
      return pipeline === undefined ? {execution_id: context.executionId} : {execution_id: context.executionId, pipeline}
    },
    async finished(page, context) {
      if (finishedWork === undefined || !finishedWork.mayEndAfter(context.routeId, context.stage)) return false
      if (page.execution_id === undefined || page.execution_id === context.executionId || page.pipeline === undefined) return false
      if (page.pipeline !== await finishedWork.fingerprint()) return false
      return completedCleanly(page.execution_id)
    },
    close: () => cache.close(),
  }
}

/**
 * True when execution `id` completed and dead-lettered nothing: every message it handed on went
 * through every stage. Failed attempts that a retry then completed do not count (a redelivered
 * fan-out parent publishes its elements again, with the same ids), so a crawl that met one 503
 * still finished its pages.
 */
async function executionCompletedCleanly(db: Database, id: string): Promise<boolean> {
  const {createExecutionRepository} = await import('../../executions/execution-repository.js')
  const row = await createExecutionRepository(db).getById(id)
  if (row?.status !== 'completed') return false
  const summary = executionSummarySchema.safeParse(row.summary)
  if (!summary.success) return false
  const {messages, routes} = summary.data
  return messages.dead_lettered === 0 && Object.values(routes).every((route) => route.dead_lettered === 0)
}

const executionSummarySchema = z.object({
  messages: z.object({dead_lettered: z.number()}),
  routes: z.record(z.string(), z.object({dead_lettered: z.number()})),
})
