import {v7 as uuidv7} from 'uuid'
import type {Page, PageOptions} from '../db/paging.js'
import {pageBounds, SqlParams, toPage} from '../db/paging.js'
import {sqlState} from '../db/database-errors.js'
import type {Database} from '../db/types.js'
import {assertUuid, isUuid} from '../db/uuid.js'
import {ConflictError, NotFoundError} from '../errors/index.js'
import type {DeadLetterRepository} from './dead-letter-repository.js'
import {createDeadLetterRepository} from './dead-letter-repository.js'

/** docs/reference/engine.md, "Completion and statuses". */
export type ExecutionStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled']

export interface ExecutionRecord {
  id: string
  config_id: string | null
  config_name: string
  /** The pipeline as it was when the execution started; never changes afterwards. */
  config_snapshot: Record<string, unknown>
  status: ExecutionStatus
  tag: string | null
  parent_execution_id: string | null
  replay_source: Record<string, unknown> | null
  metadata: Record<string, unknown>
  summary: Record<string, unknown> | null
  error_info: Record<string, unknown> | null
  created_at: Date
  started_at: Date | null
  completed_at: Date | null
  created_by: string | null
}

/** A list entry: everything but the (possibly large) snapshot. */
export type ExecutionListItem = Omit<ExecutionRecord, 'config_snapshot'>

export interface NewExecution {
  /** A UUIDv7 chosen by the caller (the engine names the execution before the database is open); default: a new one. */
  id?: string
  config_name: string
  config_snapshot: Record<string, unknown>
  config_id?: string | null
  tag?: string | null
  parent_execution_id?: string | null
  replay_source?: Record<string, unknown> | null
  metadata?: Record<string, unknown>
  created_by?: string | null
}

export interface ExecutionStatusUpdate {
  status: ExecutionStatus
  /** Replaces the stored summary when given. */
  summary?: Record<string, unknown> | null
  /** Replaces the stored error when given. */
  error_info?: Record<string, unknown> | null
  /** Default: now for a terminal status, unchanged otherwise. */
  completed_at?: Date | null
  /** Compare-and-set: update only when the current status is one of these. */
  only_from?: readonly ExecutionStatus[]
}

export interface ExecutionListFilter extends PageOptions {
  status?: ExecutionStatus
  config_id?: string
  /** Executions whose tag starts with this text (tags are unique: a whole tag finds its one execution). */
  tag?: string
  /** The replays of this execution (its children). */
  parent_execution_id?: string
}

/**
 * Executions and their dead letters in the database. Every method is one statement (no
 * read-modify-write), so concurrent callers (engine, server routes, recovery) need no locking.
 */
export interface ExecutionRepository extends DeadLetterRepository {
  /**
   * Records a new execution: status `running`, id `input.id` or a fresh UUIDv7, `started_at` now.
   * @throws UserInputError `EXECUTION_TAG_TAKEN` when another execution has the tag.
   */
  create(input: NewExecution): Promise<ExecutionRecord>
  /**
   * @throws NotFoundError `EXECUTION_NOT_FOUND`.
   * @throws UserInputError `EXECUTION_STATE_CONFLICT` when `only_from` does not hold.
   */
  updateStatus(id: string, update: ExecutionStatusUpdate): Promise<ExecutionRecord>
  getById(id: string): Promise<ExecutionRecord | undefined>
  getByTag(tag: string): Promise<ExecutionRecord | undefined>
  /** By id, else by tag (paths accept either). @throws NotFoundError `EXECUTION_NOT_FOUND`. */
  resolve(idOrTag: string): Promise<ExecutionRecord>
  /** Newest first. */
  list(filter?: ExecutionListFilter): Promise<Page<ExecutionListItem>>
  /** The execution started with this idempotency key (`metadata.idempotency_key`), if any. */
  findByIdempotencyKey(key: string): Promise<ExecutionRecord | undefined>
  /**
   * At start-up: executions left `running` by a stopped process become `interrupted`; returns their
   * ids. With `only`, just those of the given ids that are still `running`.
   */
  markRunningAsInterrupted(only?: readonly string[]): Promise<string[]>
  /** Replaces the stored `replay_source` (a replay's counts, once its messages are published). */
  setReplaySource(id: string, replaySource: Record<string, unknown>): Promise<void>
}

const LIST_COLUMNS = 'id, config_id, config_name, status, tag, parent_execution_id, replay_source, metadata, summary, ' +
  'error_info, created_at, started_at, completed_at, created_by'
const COLUMNS = `${LIST_COLUMNS}, config_snapshot`

const json = (value: unknown) => value === null || value === undefined ? null : JSON.stringify(value)

export function createExecutionRepository(db: Pick<Database, 'query'>): ExecutionRepository {
  const repository: ExecutionRepository = {
    ...createDeadLetterRepository(db),

    async create(input) {
      try {
        const {rows} = await db.query<ExecutionRecord>(`
          INSERT INTO executions (id, config_id, config_name, config_snapshot, status, tag, parent_execution_id,
                                  replay_source, metadata, created_by, started_at)
          VALUES ($1, $2, $3, $4::jsonb, 'running', $5, $6, $7::jsonb, $8::jsonb, $9, now())
          RETURNING ${COLUMNS}`, [
          input.id === undefined ? uuidv7() : assertUuid(input.id, 'execution id'), input.config_id ?? null, input.config_name, JSON.stringify(input.config_snapshot), input.tag ?? null,
          input.parent_execution_id ?? null, json(input.replay_source), JSON.stringify(input.metadata ?? {}),
          input.created_by ?? null,
        ])
        return rows[0]
      } catch (error) {
        if (sqlState(error) === '23505' && input.tag !== undefined && input.tag !== null) {
          throw new ConflictError('EXECUTION_TAG_TAKEN', `Another execution already has the tag ${JSON.stringify(input.tag)}`, {
            hint: 'Tags are unique: choose another tag, or look the existing execution up by this one.',
            cause: error,
          })
        }
        throw error
      }
    },

    async updateStatus(id, update) {
      const terminal = TERMINAL_STATUSES.includes(update.status)
      const params = new SqlParams()
      const sets = [`status = ${params.add(update.status)}`]
      if (update.summary !== undefined) sets.push(`summary = ${params.add(json(update.summary))}::jsonb`)
      if (update.error_info !== undefined) sets.push(`error_info = ${params.add(json(update.error_info))}::jsonb`)
      if (update.completed_at !== undefined) sets.push(`completed_at = ${params.add(update.completed_at)}`)
      else if (terminal) sets.push('completed_at = now()')
      const where = [`id = ${params.add(id)}`]
      if (update.only_from !== undefined) where.push(`status = ANY(${params.add(update.only_from)}::text[])`)
      if (!isUuid(id)) throw notFound(id)
      const {rows} = await db.query<ExecutionRecord>(
        `UPDATE executions SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING ${COLUMNS}`, params.values)
      if (rows[0] !== undefined) return rows[0]
      const current = await repository.getById(id)
      if (current === undefined) throw notFound(id)
      throw new ConflictError('EXECUTION_STATE_CONFLICT',
        `Execution ${id} is ${current.status}; it cannot become ${update.status}`, {
          details: {current: current.status, requested: update.status},
        })
    },

    async getById(id) {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<ExecutionRecord>(`SELECT ${COLUMNS} FROM executions WHERE id = $1`, [id])
      return rows[0]
    },

    async getByTag(tag) {
      const {rows} = await db.query<ExecutionRecord>(`SELECT ${COLUMNS} FROM executions WHERE tag = $1`, [tag])
      return rows[0]
    },

    async resolve(idOrTag) {
      const found = (await repository.getById(idOrTag)) ?? (await repository.getByTag(idOrTag))
      if (found === undefined) throw notFound(idOrTag)
      return found
    },

    async list(filter = {}) {
      const bounds = pageBounds(filter)
      const params = new SqlParams()
      const clauses: string[] = []
      if (filter.status !== undefined) clauses.push(`status = ${params.add(filter.status)}`)
      if (filter.config_id !== undefined) clauses.push(`config_id = ${params.add(assertUuid(filter.config_id, 'config id'))}`)
      if (filter.tag !== undefined) clauses.push(`tag LIKE ${params.add(`${filter.tag.replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`)}`)
      if (filter.parent_execution_id !== undefined) clauses.push(`parent_execution_id = ${params.add(assertUuid(filter.parent_execution_id, 'execution id'))}`)
      const where = clauses.length === 0 ? 'TRUE' : clauses.join(' AND ')
      const count = await db.query<{total: number}>(`SELECT count(*)::int AS total FROM executions WHERE ${where}`, params.values)
      const {rows} = await db.query<ExecutionListItem>(`
        SELECT ${LIST_COLUMNS} FROM executions WHERE ${where}
        ORDER BY created_at DESC, id DESC LIMIT ${params.add(bounds.limit)} OFFSET ${params.add(bounds.offset)}`, params.values)
      return toPage(rows, count.rows[0]?.total ?? 0, bounds)
    },

    async findByIdempotencyKey(key) {
      const {rows} = await db.query<ExecutionRecord>(
        `SELECT ${COLUMNS} FROM executions WHERE metadata->>'idempotency_key' = $1 ORDER BY created_at LIMIT 1`, [key])
      return rows[0]
    },

    async setReplaySource(id, replaySource) {
      await db.query('UPDATE executions SET replay_source = $2::jsonb WHERE id = $1', [assertUuid(id, 'execution id'), JSON.stringify(replaySource)])
    },

    async markRunningAsInterrupted(only) {
      if (only !== undefined && only.length === 0) return []
      const {rows} = only === undefined
        ? await db.query<{id: string}>(`UPDATE executions SET status = 'interrupted' WHERE status = 'running' RETURNING id`)
        : await db.query<{id: string}>(`UPDATE executions SET status = 'interrupted' WHERE status = 'running' AND id = ANY($1::uuid[]) RETURNING id`,
          [only.map((id) => assertUuid(id, 'execution id'))])
      return rows.map((row) => row.id)
    },
  }
  return repository
}

function notFound(idOrTag: string): NotFoundError {
  return new NotFoundError('EXECUTION_NOT_FOUND', `No execution with id or tag ${JSON.stringify(idOrTag)}`, {
    hint: 'List executions with `factflow execution list`.',
  })
}
