import type {Database} from '../db/types.js'
import {isUuid} from '../db/uuid.js'

export type ArchiveStatus = 'pending' | 'running' | 'completed' | 'failed'

/** Who asked: the forwarded identity, or null (a server without SSO). */
export type ArchiveOwner = string | null

export interface ArchiveJob {
  id: string
  owner: ArchiveOwner
  status: ArchiveStatus
  execution_id: string | null
  prefix: string
  object_count: number
  /** Size of the zip once completed. */
  bytes: number | null
  /** Object-store key of the zip once completed (`archives/<id>.zip`). */
  key: string | null
  error: string | null
  created_at: Date
  completed_at: Date | null
}

/** What `markInterrupted` writes into the jobs a stopped process left unfinished. */
export const INTERRUPTED_ARCHIVE_ERROR = 'The server stopped while this archive was being built (the job is not re-run): start a new archive.'

/**
 * Archive jobs in `archive_jobs` (migrations/0012). A job is visible only to the identity that
 * started it (or, started without one, only without one), like chat threads.
 */
export interface ArchiveJobRepository {
  create(job: {id: string; owner: ArchiveOwner; execution_id: string | null; prefix: string}): Promise<ArchiveJob>
  /** Undefined when absent or owned by someone else. */
  get(id: string, owner: ArchiveOwner): Promise<ArchiveJob | undefined>
  markRunning(id: string): Promise<void>
  complete(id: string, result: {object_count: number; bytes: number; key: string}): Promise<void>
  fail(id: string, error: string): Promise<void>
  /** Fails every pending or running job (called once at server start, before any job starts); their ids. */
  markInterrupted(): Promise<string[]>
  /** Deletes the finished jobs past the newest `keep`; the zip keys they held, to delete from the store. */
  prune(keep: number): Promise<string[]>
}

const COLUMNS = 'id, owner, status, execution_id, prefix, object_count, bytes::float8 AS bytes, object_key AS key, error, created_at, completed_at'

type Row = Omit<ArchiveJob, 'created_at' | 'completed_at'> & {created_at: Date | string; completed_at: Date | string | null}

const toJob = (row: Row): ArchiveJob => ({
  ...row,
  bytes: row.bytes === null ? null : Number(row.bytes),
  created_at: new Date(row.created_at),
  completed_at: row.completed_at === null ? null : new Date(row.completed_at),
})

export function createArchiveJobRepository(db: Pick<Database, 'query'>): ArchiveJobRepository {
  return {
    async create(job) {
      const {rows} = await db.query<Row>(`INSERT INTO archive_jobs (id, owner, execution_id, prefix) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [job.id, job.owner, job.execution_id, job.prefix])
      return toJob(rows[0]!)
    },

    async get(id, owner) {
      if (!isUuid(id)) return undefined
      const {rows} = await db.query<Row>(`SELECT ${COLUMNS} FROM archive_jobs WHERE id = $1 AND owner IS NOT DISTINCT FROM $2`, [id, owner])
      return rows[0] === undefined ? undefined : toJob(rows[0])
    },

    async markRunning(id) {
      await db.query("UPDATE archive_jobs SET status = 'running' WHERE id = $1 AND status = 'pending'", [id])
    },

    async complete(id, result) {
      await db.query(`UPDATE archive_jobs SET status = 'completed', object_count = $2, bytes = $3, object_key = $4, completed_at = now()
        WHERE id = $1`, [id, result.object_count, result.bytes, result.key])
    },

    async fail(id, error) {
      await db.query("UPDATE archive_jobs SET status = 'failed', error = $2, completed_at = now() WHERE id = $1", [id, error])
    },

    async markInterrupted() {
      const {rows} = await db.query<{id: string}>(`UPDATE archive_jobs SET status = 'failed', error = $1, completed_at = now()
        WHERE status IN ('pending', 'running') RETURNING id`, [INTERRUPTED_ARCHIVE_ERROR])
      return rows.map((row) => row.id)
    },

    async prune(keep) {
      const {rows} = await db.query<{key: string | null}>(`DELETE FROM archive_jobs WHERE id IN (
          SELECT id FROM archive_jobs WHERE status IN ('completed', 'failed') ORDER BY created_at DESC, id DESC OFFSET $1
        ) RETURNING object_key AS key`, [keep])
      return rows.flatMap((row) => (row.key === null ? [] : [row.key]))
    },
  }
}
