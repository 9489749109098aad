import {createHash} from 'node:crypto'

import {v7 as uuidv7} from 'uuid'

import {sqlState} from '../db/database-errors.js'
import {pageBounds, type Page, type PageOptions, SqlParams, toPage} from '../db/paging.js'
import type {Database} from '../db/types.js'
import {isUuid} from '../db/uuid.js'
import {ConflictError, NotFoundError} from '../errors/index.js'

/** A stored pipeline config with its active version (docs/reference/server.md, "configs"). */
export interface ConfigRecord {
  id: string
  name: string
  description: string | null
  is_active: boolean
  version: number
  config_yaml: string
  /** sha256 of `config_yaml`. */
  config_hash: string
  validation_report: Record<string, unknown> | null
  created_by: string | null
  created_at: Date
  updated_at: Date
}

export type ConfigListItem = Omit<ConfigRecord, 'config_yaml'>

export interface ConfigVersion {
  version: number
  config_hash: string
  is_active: boolean
  validation_report: Record<string, unknown> | null
  created_by: string | null
  created_at: Date
}

export interface NewConfigVersion {
  config_yaml: string
  validation_report: Record<string, unknown>
  created_by?: string | null
}

export interface ConfigListFilter extends PageOptions {
  /** Default: only active configs; `false` only deactivated ones; `'all'` both. */
  active?: boolean | 'all'
}

/** Configs and their versions in `configs` / `config_versions`. */
export interface ConfigRepository {
  /** @throws ConflictError `CONFIG_NAME_TAKEN`. */
  create(input: NewConfigVersion & {name: string; description?: string | null}): Promise<ConfigRecord>
  /** A new active version (the previous one stays, inactive). @throws NotFoundError `CONFIG_NOT_FOUND`. */
  update(id: string, input: NewConfigVersion & {description?: string | null}): Promise<ConfigRecord>
  /** @throws NotFoundError `CONFIG_NOT_FOUND`. */
  get(id: string): Promise<ConfigRecord>
  list(filter?: ConfigListFilter): Promise<Page<ConfigListItem>>
  versions(id: string): Promise<ConfigVersion[]>
  /** Deactivates (the config and its versions stay for the executions that used them). */
  deactivate(id: string): Promise<void>
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex')

const SELECT = `
  SELECT c.id, c.name, c.description, c.is_active, v.version, v.config_yaml, v.config_hash, v.validation_report,
         c.created_by, c.created_at, c.updated_at
  FROM configs c JOIN config_versions v ON v.config_id = c.id AND v.is_active`

export function createConfigRepository(db: Pick<Database, 'query' | 'transaction'>): ConfigRepository {
  const repository: ConfigRepository = {
    async create(input) {
      const id = uuidv7()
      try {
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO configs (id, name, description, created_by) VALUES ($1, $2, $3, $4)',
            [id, input.name, input.description ?? null, input.created_by ?? null])
          await tx.query(`INSERT INTO config_versions (id, config_id, version, config_yaml, config_hash, is_active, validation_report, created_by)
            VALUES ($1, $2, 1, $3, $4, true, $5::jsonb, $6)`,
          [uuidv7(), id, input.config_yaml, hashOf(input.config_yaml), JSON.stringify(input.validation_report), input.created_by ?? null])
        })
      } catch (error) {
        if (sqlState(error) === '23505') {
          throw new ConflictError('CONFIG_NAME_TAKEN', `A config named ${JSON.stringify(input.name)} already exists.`, {
            hint: 'Choose another name, or update the existing config with PUT /configs/{id}.', cause: error,
          })
        }
        throw error
      }
      return repository.get(id)
    },

    async update(id, input) {
      await repository.get(id)
      await db.transaction(async (tx) => {
        // Locks the config row, so two updates get consecutive version numbers.
        await tx.query(`UPDATE configs SET updated_at = now(), is_active = true${input.description === undefined ? '' : ', description = $2'} WHERE id = $1`,
          input.description === undefined ? [id] : [id, input.description])
        await tx.query('UPDATE config_versions SET is_active = false, updated_at = now() WHERE config_id = $1 AND is_active', [id])
        await tx.query(`INSERT INTO config_versions (id, config_id, version, config_yaml, config_hash, is_active, validation_report, created_by)
          SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, true, $5::jsonb, $6 FROM config_versions WHERE config_id = $2`,
        [uuidv7(), id, input.config_yaml, hashOf(input.config_yaml), JSON.stringify(input.validation_report), input.created_by ?? null])
      })
      return repository.get(id)
    },

    async get(id) {
      const {rows} = isUuid(id) ? await db.query<ConfigRecord>(`${SELECT} WHERE c.id = $1`, [id]) : {rows: []}
      if (rows[0] === undefined) throw notFound(id)
      return rows[0]
    },

    async list(filter = {}) {
      const bounds = pageBounds(filter)
      const params = new SqlParams()
      const active = filter.active ?? true
      const where = active === 'all' ? 'TRUE' : `c.is_active = ${params.add(active)}`
      const count = await db.query<{total: number}>(`SELECT count(*)::int AS total FROM configs c WHERE ${where}`, params.values)
      const {rows} = await db.query<ConfigRecord>(`${SELECT} WHERE ${where}
        ORDER BY c.created_at DESC, c.id DESC LIMIT ${params.add(bounds.limit)} OFFSET ${params.add(bounds.offset)}`, params.values)
      return toPage(rows.map(({config_yaml: _yaml, ...item}) => item), count.rows[0]?.total ?? 0, bounds)
    },

    async versions(id) {
      await repository.get(id)
      const {rows} = await db.query<ConfigVersion>(`SELECT version, config_hash, is_active, validation_report, created_by, created_at
        FROM config_versions WHERE config_id = $1 ORDER BY version DESC`, [id])
      return rows
    },

    async deactivate(id) {
      await repository.get(id)
      await db.query('UPDATE configs SET is_active = false, updated_at = now() WHERE id = $1', [id])
    },
  }
  return repository
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('CONFIG_NOT_FOUND', `No config with id ${JSON.stringify(id)}.`, {hint: 'List configs with GET /configs.'})
}
