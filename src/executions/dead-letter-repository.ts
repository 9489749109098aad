import {v7 as uuidv7} from 'uuid'
import type {Page, PageOptions} from '../db/paging.js'
import {pageBounds, SqlParams, toPage} from '../db/paging.js'
import type {Database} from '../db/types.js'
import {assertUuid, isUuid} from '../db/uuid.js'

/** A message that exhausted its retries or failed terminally (docs/reference/engine.md, "Errors"). */
export interface DeadLetterRecord {
  id: string
  execution_id: string
  route_id: string
  /** The stage (adapter id) that failed. */
  stage: string | null
  /** The whole envelope as it was consumed. */
  message: Record<string, unknown>
  error_info: Record<string, unknown> | null
  attempts: number
  created_at: Date
  redriven_at: Date | null
}

export interface NewDeadLetter {
  execution_id: string
  route_id: string
  stage: string | null
  message: Record<string, unknown>
  error_info: Record<string, unknown> | null
  attempts: number
}

export interface DeadLetterFilter extends PageOptions {
  route_id?: string
  /** Include letters already redriven (default true). */
  include_redriven?: boolean
}

export interface DeadLetterRepository {
  recordDeadLetter(input: NewDeadLetter): Promise<DeadLetterRecord>
  /** Oldest first; every execution when `executionId` is undefined. */
  listDeadLetters(executionId: string | undefined, filter?: DeadLetterFilter): Promise<Page<DeadLetterRecord>>
  getDeadLetter(id: string): Promise<DeadLetterRecord | undefined>
  /**
   * Stamps `redriven_at` (now) on a letter not yet redriven; undefined when there is no such letter
   * or it was already redriven (one statement, so two concurrent redrives cannot both claim it).
   */
  markDeadLetterRedriven(id: string): Promise<DeadLetterRecord | undefined>
  /** Clears `redriven_at` again (a redrive that could not publish the message). */
  unmarkDeadLetterRedriven(id: string): Promise<void>
}

const COLUMNS = 'id, execution_id, route_id, stage, message, error_info, attempts, created_at, redriven_at'

export function createDeadLetterRepository(db: Pick<Database, 'query'>): DeadLetterRepository {
  return {
    async recordDeadLetter(input) {
      const {rows} = await db.query<DeadLetterRecord>(`
        INSERT INTO dead_letters (id, execution_id, route_id, stage, message, error_info, attempts)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)
        RETURNING ${COLUMNS}`, [
        uuidv7(), assertUuid(input.execution_id, 'execution id'), input.route_id, input.stage,
        JSON.stringify(input.message), input.error_info === null ? null : JSON.stringify(input.error_info), input.attempts,
      ])
      return rows[0]
    },

    async listDeadLetters(executionId, filter = {}) {
      const bounds = pageBounds(filter)
      const params = new SqlParams()
      const clauses: string[] = []
      if (executionId !== undefined) clauses.push(`execution_id = ${params.add(assertUuid(executionId, 'execution id'))}`)
      if (filter.route_id !== undefined) clauses.push(`route_id = ${params.add(filter.route_id)}`)
      if (filter.include_redriven === false) clauses.push('redriven_at IS NULL')
      const where = clauses.length === 0 ? 'TRUE' : clauses.join(' AND ')
      const count = await db.query<{total: number}>(`SELECT count(*)::int AS total FROM dead_letters WHERE ${where}`, params.values)
      const {rows} = await db.query<DeadLetterRecord>(`
        SELECT ${COLUMNS} FROM dead_letters WHERE ${where}
        ORDER BY created_at, id LIMIT ${params.add(bounds.limit)} OFFSET ${params.add(bounds.offset)}`, params.values)
      return toPage(rows, count.rows[0]?.total ?? 0, bounds)
    },

    async getDeadLetter(id) {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<DeadLetterRecord>(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1`, [id])
      return rows[0]
    },

    async markDeadLetterRedriven(id) {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<DeadLetterRecord>(
        `UPDATE dead_letters SET redriven_at = now() WHERE id = $1 AND redriven_at IS NULL RETURNING ${COLUMNS}`, [id])
      return rows[0]
    },

    async unmarkDeadLetterRedriven(id) {
      await db.query('UPDATE dead_letters SET redriven_at = NULL WHERE id = $1', [assertUuid(id, 'dead letter id')])
    },
  }
}
