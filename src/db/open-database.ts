import {fileURLToPath} from 'node:url'
import type {Logger} from '../logging/logger.js'
import {UnavailableError, UserInputError} from '../errors/index.js'
import {redactCredentials} from '../secrets/redact-url.js'
import {databaseUnreachable, isConnectionError, sqlState} from './database-errors.js'
import type {Database} from './types.js'

export interface OpenDatabaseOptions {
  logger?: Logger
  /** PostgreSQL pool size (default 10). */
  poolSize?: number
  /** PostgreSQL connect timeout (default 10 s). */
  connectTimeoutMs?: number
  /** PGlite in a worker thread (default true); see `PgliteDatabaseOptions.worker`. */
  pgliteWorker?: boolean
  /** Template cache for new embedded databases (default `defaultCacheDir()`; null: none). */
  templateCacheDir?: string | null
}

export type DatabaseLocation =
  | {kind: 'postgres'; url: string}
  | {kind: 'pglite'; dataDir: string | undefined}

/**
 * Reads a `database.url` setting: `postgres://…` / `postgresql://…` is PostgreSQL; `memory://` is
 * an in-memory PGlite; `pglite://PATH`, `file://PATH` or a bare path is PGlite on disk.
 * @throws UserInputError `DATABASE_URL_INVALID` for another scheme.
 */
export function parseDatabaseLocation(urlOrPath: string): DatabaseLocation {
  const value = urlOrPath.trim()
  if (/^postgres(ql)?:\/\//i.test(value)) return {kind: 'postgres', url: value}
  if (/^memory:\/\/\/?$/i.test(value)) return {kind: 'pglite', dataDir: undefined}
  if (/^pglite:\/\//i.test(value)) {
    const dataDir = value.slice('pglite://'.length)
    if (dataDir === '') throw invalid(urlOrPath)
    return {kind: 'pglite', dataDir}
  }
  if (/^file:\/\//i.test(value)) return {kind: 'pglite', dataDir: fileURLToPath(value)}
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value === '') throw invalid(urlOrPath)
  return {kind: 'pglite', dataDir: value}
}

/**
 * Opens the database named by `urlOrPath` (see `parseDatabaseLocation`) and checks it answers.
 * PGlite's code is imported only here, on first use. Does not run migrations (`migrate` does), but
 * a new embedded directory is created with them applied.
 * @throws UnavailableError `DATABASE_UNREACHABLE` when PostgreSQL refuses, does not answer, rejects the
 *   credentials or has no such database.
 * @throws FactflowError `DATABASE_OPEN_FAILED` when the embedded database cannot start.
 */
export async function openDatabase(urlOrPath: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const location = parseDatabaseLocation(urlOrPath)
  if (location.kind === 'pglite') {
    const [{PgliteDatabase}, {defaultCacheDir}, {defaultMigrationsDir, loadMigrations}] =
      await Promise.all([import('./pglite-database.js'), import('./pglite-template.js'), import('./migrate.js')])
    const templateCacheDir = options.templateCacheDir === null ? undefined : options.templateCacheDir ?? defaultCacheDir()
    // A new directory is created already migrated (every caller migrates next; it then finds nothing to do).
    const schema = () => loadMigrations(defaultMigrationsDir())
    return PgliteDatabase.open({dataDir: location.dataDir, worker: options.pgliteWorker, templateCacheDir, schema})
  }
  const {PostgresDatabase} = await import('./postgres-database.js')
  const database = new PostgresDatabase({
    url: location.url, poolSize: options.poolSize, connectTimeoutMs: options.connectTimeoutMs, logger: options.logger,
  })
  try {
    await database.query('SELECT 1')
  } catch (error) {
    await database.close().catch(() => undefined)
    if (error instanceof UnavailableError) throw error
    // Refused, unknown host, wrong credentials (class 28) or no such database (3D000): all "cannot reach".
    const refused = isConnectionError(error) || /^(28|3D)/.test(sqlState(error) ?? '')
    throw refused ? databaseUnreachable(database.location, error) : error
  }
  return database
}

function invalid(value: string): UserInputError {
  return new UserInputError('DATABASE_URL_INVALID', `Not a database URL or path: ${JSON.stringify(redactCredentials(value))}`, {
    hint: 'Use postgres://user@host:5432/db, memory://, pglite://DIR or a directory path for the embedded database.',
  })
}
