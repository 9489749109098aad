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
  /** Rows whose `metadata.title` contains this text, in any case. */
  title?: string
  started_after?: Date
  started_before?: Date
  /** Column to order by (default `started_at`); ties are ordered by id. */
  sort_by?: LineageSortField
  /** Default `asc` (pipeline order). */
  sort_order?: 'asc' | 'desc'
}

/** Columns `list` can order by (a fixed list: the name goes into the SQL). */
export const LINEAGE_SORT_FIELDS = ['started_at', 'completed_at', 'duration_ms', 'route_id', 'adapter_name', 'stage_status'] as const
export type LineageSortField = typeof LINEAGE_SORT_FIELDS[number]

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
 * Read side of the lineage table (docs/reference/engine.md "Lineage" queries; `factflow lineage …`, `/lineage`).
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
const DEFAULT_MAX_DEPTH = 1000
/**
 * How long before its parent message's first row a descendant's row may say it started: none
 * should (a message is published after its parent's stages ran, and one process runs an
 * execution, with one monotonic clock), so this only absorbs a wall clock stepped back between
 * an interrupted execution and its resumption. The bound lets the walk skip older block ranges.
 */
const CLOCK_STEP_MARGIN_MS = 5 * 60_000
/** Parent ids up to which a level of a descendant walk is looked up in the bloom index. */
const BLOOM_LOOKUP_IDS = 32
/** The earliest time a descendant of the message with these rows can have started. */
const startedAfter = (messageRows: LineageRow[]) =>
  new Date(Math.min(...messageRows.map((r) => r.started_at.getTime())) - CLOCK_STEP_MARGIN_MS)
/** Shortest time between two `ANALYZE lineage` by one `LineageQueries`. */
const ANALYZE_EVERY_MS = 60_000

export function createLineageQueries(db: Pick<Database, 'query'>): LineageQueries {
  let canMaintain = true
  let analyzedAt = Number.NEGATIVE_INFINITY

  /**
   * Index upkeep the lineage writer leaves to readers, done before a query by execution or by row
   * id: summarises the block ranges written since the last time into the three BRIN indexes
   * (`lineage_execution_brin`, migration 0003; `lineage_id_brin`, 0005; `lineage_chain_bloom`,
   * 0006) and, when there were any, refreshes the table's statistics (`ANALYZE`), without which
   * the planner reads the whole table instead of using them (PGlite has no autovacuum); `ANALYZE`
   * at most once a minute, since a server's queries during a run find new ranges every time. A run
   * thus ends without that work; the first such query after it pays it once (PGlite here: ~0.4 s
   * after 200k rows before migration 0006, 2–3 s after a million with it), later ones find
   * nothing new (one quick round trip). Ranges not summarised are always read, so answers are
   * complete either way. Best effort: a role that may not summarise (not the table's owner, a
   * standby) is not asked again.
   */
  async function maintainIndexes(): Promise<void> {
    if (!canMaintain) return
    try {
      const {rows} = await db.query<{ranges: number}>(
        "SELECT (brin_summarize_new_values('lineage_execution_brin') + brin_summarize_new_values('lineage_id_brin') + " +
        "brin_summarize_new_values('lineage_chain_bloom'))::int AS ranges")
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

  /** Rows matching a lookup by message id or parent id, in time order. */
  async function messageRows(where: string, values: unknown[], order = 'started_at, id'): Promise<LineageRow[]> {
    const {rows} = await db.query<LineageRow>(`SELECT ${COLUMNS} FROM lineage WHERE ${where} ORDER BY ${order}`, values)
    return rows
  }

  /**
   * Rows of the messages whose parent is one of `parents`, started no earlier than `after`, in time
   * order. A BRIN bloom scan tests every block range once per id, so a few ids go through it
   * (`= ANY`), while a wider level is one pass over the rows started since `after` (the block
   * ranges' started_at bounds skip older ones) with the ids in a hashed list: the cost of a level
   * stays that of one scan of the tree's time span, not of the table times its width.
   */
  async function childRows(parents: string[], after: Date): Promise<LineageRow[]> {
    if (parents.length <= BLOOM_LOOKUP_IDS) return messageRows('parent_id = ANY($1::uuid[]) AND started_at >= $2', [parents, after])
    // OFFSET 0 keeps the id list out of the index scan (it would be tested per id); it filters the
    // rows the time bound selects.
    const {rows} = await db.query<LineageRow>(`
      SELECT ${COLUMNS} FROM (SELECT ${COLUMNS} FROM lineage WHERE started_at >= $2 OFFSET 0) recent
      WHERE parent_id = ANY($1::uuid[]) ORDER BY started_at, id`, [parents, after])
    return rows
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
      if (filter.title !== undefined) {
        // `%`, `_` and `\` in the text are matched literally.
        clauses.push(`metadata->>'title' ILIKE ${params.add(`%${filter.title.replace(/[\\%_]/g, '\\$&')}%`)}`)
      }
      if (filter.started_after !== undefined) clauses.push(`started_at > ${params.add(filter.started_after)}`)
      if (filter.started_before !== undefined) clauses.push(`started_at < ${params.add(filter.started_before)}`)
      const direction = filter.sort_order === 'desc' ? 'DESC' : 'ASC'
      const column = LINEAGE_SORT_FIELDS.includes(filter.sort_by ?? 'started_at') ? filter.sort_by ?? 'started_at' : 'started_at'
      const nulls = direction === 'ASC' ? 'NULLS LAST' : 'NULLS FIRST'
      const where = clauses.length === 0 ? 'TRUE' : clauses.join(' AND ')
      const order = column === 'started_at' ? `started_at ${direction}, id ${direction}` : `${column} ${direction} ${nulls}, started_at ${direction}, id ${direction}`
      return page(where, params, pageBounds(filter), order)
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
      // One query per level of the walk through the chain's bloom index (migration 0006).
      const seen = new Set([row.message_id])
      const up: LineageChainRow[][] = []
      for (let parent = row.parent_id, depth = 1; parent !== null && depth <= maxDepth && !seen.has(parent); depth++) {
        seen.add(parent)
        const rows = await messageRows('message_id = $1', [parent])
        if (rows.length === 0) break
        up.push(rows.map((r) => ({...r, depth})))
        parent = rows[0]!.parent_id
      }
      const siblings = await messageRows('message_id = $1', [row.message_id], 'started_at, adapter_index, id')
      const descendants: LineageChainRow[] = []
      const after = startedAfter([row, ...siblings])
      let frontier = [row.message_id]
      for (let depth = 1; frontier.length > 0 && depth <= maxDepth; depth++) {
        const level = await childRows(frontier, after)
        // A message's rows all come in one level; a message met before (a cycle) is not walked again.
        const next = new Set<string>()
        for (const r of level) {
          if (!next.has(r.message_id)) {
            if (seen.has(r.message_id)) continue
            seen.add(r.message_id)
            next.add(r.message_id)
          }
          descendants.push({...r, depth})
        }
        frontier = [...next]
      }
      return {row, ancestors: up.reverse().flat(), siblings, descendants}
    },

    async children(id) {
      const row = await queries.get(id)
      if (row === undefined) return []
      const after = startedAfter([row, ...await messageRows('message_id = $1', [row.message_id])])
      return messageRows('parent_id = $1 AND started_at >= $2', [row.message_id, after])
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
