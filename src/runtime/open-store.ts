import type {Database} from '../db/types.js'
import type {Logger} from '../logging/logger.js'

/** Opens the database at `url` and applies missing migrations; a database that fails to migrate is closed. */
export async function openStore(url: string, log: Logger): Promise<Database> {
  const [{openDatabase}, {migrate}] = await Promise.all([import('../db/open-database.js'), import('../db/migrate.js')])
  const started = performance.now()
  const db = await openDatabase(url, {logger: log})
  const opened = performance.now()
  try {
    await migrate(db)
    log.debug({open_ms: Math.round(opened - started), migrate_ms: Math.round(performance.now() - opened), since_start_ms: Math.round(performance.now())}, 'database open')
  } catch (error) {
    await db.close().catch(() => undefined)
    throw error
  }
  return db
}
