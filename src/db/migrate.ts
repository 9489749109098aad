import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {FactflowError, InternalError} from '../errors/index.js'
import type {Logger} from '../logging/logger.js'
import {silentLogger} from '../logging/logger.js'
import {isConnectionError} from './database-errors.js'
import type {Database, DatabaseTransaction} from './types.js'

/** One `migrations/NNNN_name.sql` file. */
export interface Migration {
  version: number
  name: string
  /** sha256 (hex) of the text with line endings normalised to `\n`. */
  checksum: string
  sql: string
}

export interface MigrateOptions {
  /** Default: the `migrations/` folder of the factflow package (`defaultMigrationsDir()`). */
  migrationsDir?: string
  logger?: Logger
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[]
  /** Highest applied version after the call (0 when there are no migrations). */
  current: number
}

/** The table of applied migrations (also created by a new embedded database's creator; see pglite-create.ts). */
export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`
/** Records one applied migration: $1 version, $2 name, $3 checksum. */
export const RECORD_MIGRATION = 'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)'

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/
// Serialises migration runs of every factflow process sharing one PostgreSQL database.
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('factflow.schema_migrations'))"

/**
 * Applies the pending migrations, forward only, each in its own transaction. On PostgreSQL every
 * transaction first takes a transaction-scoped advisory lock and re-checks what is applied, so
 * concurrent starts apply each migration once (PGlite is a single connection: no lock).
 * @throws InternalError `MIGRATION_CHECKSUM_MISMATCH` when an applied file was edited afterwards,
 *   `MIGRATION_UNKNOWN` when the database has a version this build does not ship (a newer factflow
 *   migrated it). Nothing is applied in either case.
 * @throws FactflowError `MIGRATION_FAILED` when a migration's SQL fails (it is rolled back).
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger
  const migrations = await loadMigrations(options.migrationsDir ?? defaultMigrationsDir())
  const lock = db.kind === 'postgres'

  await db.transaction(async (tx) => {
    if (lock) await tx.query(LOCK)
    await tx.query(SCHEMA_MIGRATIONS_TABLE)
  })
  const appliedBefore = await readApplied(db)
  verifyApplied(appliedBefore, migrations)

  const applied: number[] = []
  for (const migration of migrations) {
    // Applied before this call (and verified above): no transaction of its own, so opening an
    // up-to-date database costs one read, not one transaction per migration.
    if (appliedBefore.has(migration.version)) continue
    const ran = await db.transaction(async (tx) => {
      if (lock) await tx.query(LOCK)
      const done = (await readApplied(tx)).get(migration.version)
      if (done !== undefined) {
        // Another process applied it meanwhile.
        verifyChecksum(done, migration)
        return false
      }
      try {
        await tx.query(migration.sql)
      } catch (error) {
        if (isConnectionError(error)) throw error
        throw new FactflowError('MIGRATION_FAILED',
          `Migration ${label(migration)} failed: ${error instanceof Error ? error.message : String(error)}`,
          {cause: error, hint: 'Nothing of it was applied. Fix the database state or the file, then start again.'})
      }
      await tx.query(RECORD_MIGRATION, [migration.version, migration.name, migration.checksum])
      return true
    })
    if (ran) {
      applied.push(migration.version)
      logger.info({version: migration.version, name: migration.name}, 'migration applied')
    }
  }
  const current = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version
  return {applied, current}
}

/** Reads `NNNN_name.sql` files in version order; other files are ignored. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort()
  const migrations: Migration[] = []
  for (const fileName of names) {
    const [, version, name] = FILE_NAME.exec(fileName) as RegExpExecArray
    const sql = (await readFile(path.join(dir, fileName), 'utf8')).replace(/\r\n/g, '\n')
    const previous = migrations[migrations.length - 1]
    if (previous?.version === Number(version)) {
      throw new InternalError('MIGRATION_DUPLICATE', `Two migrations share version ${version} in ${dir}`)
    }
    migrations.push({
      version: Number(version), name, sql, checksum: createHash('sha256').update(sql).digest('hex'),
    })
  }
  return migrations
}

/** The `migrations/` folder beside the nearest `package.json` above this module (works from src/ and dist/). */
export function defaultMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) {
      return path.join(dir, 'migrations')
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new InternalError('MIGRATIONS_NOT_FOUND', 'The migrations/ folder of factflow was not found')
    dir = parent
  }
}

type AppliedRow = {version: number; name: string; checksum: string}

async function readApplied(db: Pick<DatabaseTransaction, 'query'>): Promise<Map<number, AppliedRow>> {
  const {rows} = await db.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
  return new Map(rows.map((row) => [row.version, row]))
}

function verifyApplied(applied: Map<number, AppliedRow>, migrations: Migration[]): void {
  const byVersion = new Map(migrations.map((migration) => [migration.version, migration]))
  for (const row of applied.values()) {
    const migration = byVersion.get(row.version)
    if (migration === undefined) {
      throw new InternalError('MIGRATION_UNKNOWN',
        `The database has migration ${row.version} (${row.name}), which this factflow does not ship`, {
          hint: 'The database was migrated by a newer factflow: upgrade factflow, or point it at another database.',
        })
    }
    verifyChecksum(row, migration)
  }
}

function verifyChecksum(row: AppliedRow, migration: Migration): void {
  if (migration.checksum === row.checksum) return
  throw new InternalError('MIGRATION_CHECKSUM_MISMATCH', `Migration ${label(migration)} was changed after it was applied`, {
    hint: 'Applied migrations are immutable: restore the original file and put the change in a new migration.',
    details: {version: migration.version, applied_checksum: row.checksum, file_checksum: migration.checksum},
  })
}

function label(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`
}
