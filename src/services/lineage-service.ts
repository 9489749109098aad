import type {Page, PageOptions} from '../db/paging.js'
import {isUuid} from '../db/uuid.js'
import {NotFoundError} from '../errors/index.js'
import {createLineageQueries, type LineageChain, type LineageFilter, type LineageQueries, type LineageStageStats} from '../lineage/lineage-queries.js'
import type {LineageRow} from '../lineage/types.js'
import type {Runtime} from '../runtime/runtime.js'

/** `LineageFilter` as a caller gives it: the execution by id or tag, metadata filters by name. */
export type LineageListOptions = Omit<LineageFilter, 'metadata' | 'execution_id'> & {
  execution_id?: string
  url?: string
  origin?: string
  document_id?: string
}

export interface LineageStatsView {
  execution_id: string
  /** Per route and adapter, in pipeline order. */
  stages: LineageStageStats[]
  totals: {count: number; completed: number; failed: number; skipped: number}
}

/**
 * Lineage for the HTTP API (docs/reference/server.md, "lineage"): the lineage queries with executions named by
 * id or tag and a missing row as `LINEAGE_NOT_FOUND`. One `LineageQueries` per service, so its index
 * upkeep (`ANALYZE` at most once a minute) is shared by every request.
 */
export function createLineageService(runtime: Runtime) {
  let queries: Promise<LineageQueries> | undefined
  const lineage = () => queries ??= runtime.store().then(({db}) => createLineageQueries(db))

  /** An execution id as stored: a tag or an id is looked up (404 when neither names one). */
  async function executionId(idOrTag: string): Promise<string> {
    return (await (await runtime.store()).executions.resolve(idOrTag)).id
  }

  async function requireRow(id: string): Promise<LineageRow> {
    const row = await (await lineage()).get(id)
    if (!row) throw new NotFoundError('LINEAGE_NOT_FOUND', `No lineage row ${JSON.stringify(id)}.`)
    return row
  }

  return {
    /** Filters, sort and paging of `GET /lineage`; metadata filters match exactly, `title` as a substring. */
    async list(options: LineageListOptions): Promise<Page<LineageRow>> {
      const {execution_id, url, origin, document_id, ...rest} = options
      const metadata: Record<string, string> = {}
      if (url !== undefined) metadata.url = url
      if (origin !== undefined) metadata.origin = origin
      if (document_id !== undefined) metadata.document_id = document_id
      return (await lineage()).list({
        ...rest, ...(Object.keys(metadata).length > 0 ? {metadata} : {}),
        ...(execution_id === undefined ? {} : {execution_id: await executionId(execution_id)}),
      })
    },

    get: requireRow,

    async chain(id: string, maxDepth?: number): Promise<LineageChain> {
      const chain = await (await lineage()).chain(id, {maxDepth})
      if (!chain) throw new NotFoundError('LINEAGE_NOT_FOUND', `No lineage row ${JSON.stringify(id)}.`)
      return chain
    },

    async children(id: string): Promise<{row: LineageRow; children: LineageRow[]}> {
      const row = await requireRow(id)
      return {row, children: await (await lineage()).children(row.id)}
    },

    async failures(options: {execution_id?: string; route_id?: string} & PageOptions): Promise<Page<LineageRow>> {
      const {execution_id, ...rest} = options
      return (await lineage()).failures({...rest, ...(execution_id === undefined ? {} : {execution_id: await executionId(execution_id)})})
    },

    async stats(idOrTag: string): Promise<LineageStatsView> {
      const id = await executionId(idOrTag)
      const stages = await (await lineage()).stats(id)
      const totals = {count: 0, completed: 0, failed: 0, skipped: 0}
      for (const stage of stages) {
        totals.count += stage.count
        totals.completed += stage.completed
        totals.failed += stage.failed
        totals.skipped += stage.skipped
      }
      return {execution_id: id, stages, totals}
    },

    /** Rows caused by one replay; `LINEAGE_BATCH_NOT_FOUND` when none carries the id. */
    async batch(batchId: string, options: PageOptions): Promise<Page<LineageRow>> {
      const page = isUuid(batchId) ? await (await lineage()).byReplayBatch(batchId, options) : undefined
      if (!page || page.total === 0) throw new NotFoundError('LINEAGE_BATCH_NOT_FOUND', `No lineage row carries the replay batch id ${JSON.stringify(batchId)}.`)
      return page
    },
  }
}

export type LineageService = ReturnType<typeof createLineageService>
