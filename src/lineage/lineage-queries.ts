import type {Page, PageOptions} from '../db/paging.js'
import {pageBounds, SqlParams, toPage} from '../db/paging.js'
import type {Database} from '../db/types.js'
import {assertUuid, isUuid} from '../db/uuid.js'
import type {LineageRow, StageStatus} from './types.js'

export interface LineageFilter extends PageOptions {
  execution_id?: string
  route_id?: string
  status?: StageStatus
  adapter?: string
  /** Only rows of root messages (no parent), or only non-root rows. */
  is_root?: boolean
  /** Rows whose metadata contains these values (`{url: …}`, `{document_id: …}`). */
  metadata?: Record<string, string>
  started_after?: Date
  started_before?: Date
  /** By `started_at` (default `asc`: pipeline order). */
  sort_order?: 'asc' | 'desc'
}

/** A row of a chain with its distance from the row asked about (1 = parent or child message). */
export type LineageChainRow = LineageRow & {depth: number}

export interface LineageChain {
  row: LineageRow
  /** Rows of ancestor messages, root first. */
  ancestors: LineageChainRow[]
  /** Every row of the same message (each adapter invocation and attempt), in order. */
  siblings: LineageRow[]
  /** Rows of descendant messages, nearest first. */
  descendants: LineageChainRow[]
}

export interface LineageStageStats {
  route_id: string
  adapter_name: string
  adapter_index: number
  count: number
  completed: number
  failed: number
  skipped: number
  avg_duration_ms: number | null
  p95_duration_ms: number | null
}

/**
 * Read side of the lineage table (spec/engine.md "Lineage" queries; `factflow lineage …`, `/lineage`).
 * Lookups by a malformed id find nothing; filters with a malformed id throw UserInputError `INVALID_ID`.
 */
export interface LineageQueries {
  list(filter?: LineageFilter): Promise<Page<LineageRow>>
  /** `list` for one execution. */
  byExecution(executionId: string, filter?: Omit<LineageFilter, 'execution_id'>): Promise<Page<LineageRow>>
  get(id: string): Promise<LineageRow | undefined>
  /** Ancestors and descendants of the row's message; undefined when the row does not exist. */
  chain(id: string, options?: {maxDepth?: number}): Promise<LineageChain | undefined>
  /** Rows of the messages emitted from the row's message. */
  children(id: string): Promise<LineageRow[]>
  failures(filter?: {execution_id?: string; route_id?: string} & PageOptions): Promise<Page<LineageRow>>
  /** Per route and adapter of one execution, in pipeline order. */
  stats(executionId: string): Promise<LineageStageStats[]>
  byReplayBatch(batchId: string, options?: PageOptions): Promise<Page<LineageRow>>
}

const COLUMNS = 'id, correlation_id, message_id, parent_id, execution_id, route_id, adapter_name, adapter_index, ' +
  'stage_name, stage_status, stage_input_hash, started_at, completed_at, duration_ms, metadata, error_info, replay_batch_id'
const qualified = (alias: string) => COLUMNS.split(', ').map((column) => `${alias}.${column}`).join(', ')
const DEFAULT_MAX_DEPTH = 1000
/** Shortest time between two `ANALYZE lineage` by one `LineageQueries`. */
const ANALYZE_EVERY_MS = 60_000

export function createLineageQueries(db: Pick<Database, 'query'>): LineageQueries {
  let canMaintain = true
  let analyzedAt = Number.NEGATIVE_INFINITY

  /**
   * Index upkeep the lineage writer leaves to readers, done before a query by execution or by row
   * id: summarises the block ranges written since the last time into both BRIN indexes
   * (`lineage_execution_brin`, migration 0003; `lineage_id_brin`, migration 0005) and, when there
   * were any, refreshes the table's statistics (`ANALYZE`), without which the planner reads the
   * whole table instead of using them (PGlite has no autovacuum); `ANALYZE` at most once a minute,
   * since a server's queries during a run find new ranges every time. A run thus ends without that work;
   * the first such query after it pays it once (~0.4 s after 200k rows here), later ones find
   * nothing new (one quick round trip). Ranges not summarised are always read, so answers are
   * complete either way. Best effort: a role that may not summarise (not the table's owner, a
   * standby) is not asked again.
   */
  async function maintainIndexes(): Promise<void> {
    if (!canMaintain) return
    try {
      const {rows} = await db.query<{ranges: number}>(
        "SELECT (brin_summarize_new_values('lineage_execution_brin') + brin_summarize_new_values('lineage_id_brin'))::int AS ranges")
      if ((rows[0]?.ranges ?? 0) > 0 && Date.now() - analyzedAt >= ANALYZE_EVERY_MS) {
        await db.query('ANALYZE lineage')
        analyzedAt = Date.now()
      }
    } catch {
      canMaintain = false
    }
  }

  async function page(where: string, params: SqlParams, bounds: {limit: number; offset: number}, order = 'started_at ASC, id ASC') {
    const count = await db.query<{total: number}>(`SELECT count(*)::int AS total FROM lineage WHERE ${where}`, params.values)
    const limit = params.add(bounds.limit)
    const offset = params.add(bounds.offset)
    const {rows} = await db.query<LineageRow>(
      `SELECT ${COLUMNS} FROM lineage WHERE ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params.values)
    return toPage(rows, count.rows[0]?.total ?? 0, bounds)
  }

  const queries: LineageQueries = {
    async list(filter = {}) {
      const params = new SqlParams()
      const clauses: string[] = []
      if (filter.execution_id !== undefined) {
        clauses.push(`execution_id = ${params.add(assertUuid(filter.execution_id, 'execution id'))}`)
        await maintainIndexes()
      }
      if (filter.route_id !== undefined) clauses.push(`route_id = ${params.add(filter.route_id)}`)
      if (filter.status !== undefined) clauses.push(`stage_status = ${params.add(filter.status)}`)
      if (filter.adapter !== undefined) clauses.push(`adapter_name = ${params.add(filter.adapter)}`)
      if (filter.is_root !== undefined) clauses.push(filter.is_root ? 'parent_id IS NULL' : 'parent_id IS NOT NULL')
      if (filter.metadata !== undefined && Object.keys(filter.metadata).length > 0) {
        clauses.push(`metadata @> ${params.add(JSON.stringify(filter.metadata))}::jsonb`)
      }
      if (filter.started_after !== undefined) clauses.push(`started_at > ${params.add(filter.started_after)}`)
      if (filter.started_before !== undefined) clauses.push(`started_at < ${params.add(filter.started_before)}`)
      const direction = filter.sort_order === 'desc' ? 'DESC' : 'ASC'
      const where = clauses.length === 0 ? 'TRUE' : clauses.join(' AND ')
      return page(where, params, pageBounds(filter), `started_at ${direction}, id ${direction}`)
    },

    byExecution(executionId, filter = {}) {
      return queries.list({...filter, execution_id: executionId})
    },

    async get(id) {
      if (!isUuid(id)) return undefined
      await maintainIndexes()
      const {rows} = await db.query<LineageRow>(`SELECT ${COLUMNS} FROM lineage WHERE id = $1`, [id])
      return rows[0]
    },

    async chain(id, options = {}) {
      const row = await queries.get(id)
      if (row === undefined) return undefined
      const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
      // UNION (not UNION ALL) folds the several rows of one message into one step of the walk.
      const ancestors = await db.query<LineageChainRow>(`
        WITH RECURSIVE up (message_id, parent_id, depth) AS (
          SELECT $1::uuid, $2::uuid, 0
          UNION
          SELECT l.message_id, l.parent_id, up.depth + 1
          FROM lineage l JOIN up ON l.message_id = up.parent_id
          WHERE up.depth < $3
        )
        SELECT ${qualified('l')}, a.depth
        FROM lineage l JOIN (SELECT message_id, min(depth) AS depth FROM up WHERE depth > 0 GROUP BY message_id) a
          ON l.message_id = a.message_id
        ORDER BY a.depth DESC, l.started_at, l.id`, [row.message_id, row.parent_id, maxDepth])
      const siblings = await db.query<LineageRow>(
        `SELECT ${COLUMNS} FROM lineage WHERE message_id = $1 ORDER BY started_at, adapter_index, id`, [row.message_id])
      const descendants = await db.query<LineageChainRow>(`
        WITH RECURSIVE down (message_id, depth) AS (
          SELECT $1::uuid, 0
          UNION
          SELECT l.message_id, down.depth + 1
          FROM lineage l JOIN down ON l.parent_id = down.message_id
          WHERE down.depth < $2
        )
        SELECT ${qualified('l')}, d.depth
        FROM lineage l JOIN (SELECT message_id, min(depth) AS depth FROM down WHERE depth > 0 GROUP BY message_id) d
          ON l.message_id = d.message_id
        ORDER BY d.depth, l.started_at, l.id`, [row.message_id, maxDepth])
      return {row, ancestors: ancestors.rows, siblings: siblings.rows, descendants: descendants.rows}
    },

    async children(id) {
      if (!isUuid(id)) return []
      await maintainIndexes()
      const {rows} = await db.query<LineageRow>(`
        SELECT ${COLUMNS} FROM lineage
        WHERE parent_id = (SELECT message_id FROM lineage WHERE id = $1)
        ORDER BY started_at, id`, [id])
      return rows
    },

    async failures(filter = {}) {
      const params = new SqlParams()
      const clauses = [`stage_status = 'failed'`]
      if (filter.execution_id !== undefined) {
        clauses.push(`execution_id = ${params.add(assertUuid(filter.execution_id, 'execution id'))}`)
        await maintainIndexes()
      }
      if (filter.route_id !== undefined) clauses.push(`route_id = ${params.add(filter.route_id)}`)
      return page(clauses.join(' AND '), params, pageBounds(filter), 'started_at DESC, id DESC')
    },

    async stats(executionId) {
      assertUuid(executionId, 'execution id')
      await maintainIndexes()
      const {rows} = await db.query<LineageStageStats>(`
        SELECT route_id, adapter_name, adapter_index,
               count(*)::int AS count,
               (count(*) FILTER (WHERE stage_status = 'completed'))::int AS completed,
               (count(*) FILTER (WHERE stage_status = 'failed'))::int AS failed,
               (count(*) FILTER (WHERE stage_status = 'skipped'))::int AS skipped,
               avg(duration_ms)::float8 AS avg_duration_ms,
               (percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms))::float8 AS p95_duration_ms
        FROM lineage WHERE execution_id = $1
        GROUP BY route_id, adapter_name, adapter_index
        ORDER BY min(started_at), route_id, adapter_index`, [executionId])
      return rows
    },

    byReplayBatch(batchId, options = {}) {
      const params = new SqlParams()
      return page(`replay_batch_id = ${params.add(assertUuid(batchId, 'replay batch id'))}`, params, pageBounds(options))
    },
  }
  return queries
}
