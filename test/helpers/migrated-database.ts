import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createScratchDatabase} from './scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from './services.js'

/** A database with every migration applied, and how to get rid of it. */
export interface MigratedDatabase {
  db: Database
  dispose(): Promise<void>
}

/** One kind of database a SQL-touching test runs on. */
export interface DatabaseTarget {
  name: string
  /** True when the service is absent on this machine (under CI its absence fails instead). */
  skip: boolean
  open(): Promise<MigratedDatabase>
}

async function migrated(db: Database, drop?: () => Promise<void>): Promise<MigratedDatabase> {
  await migrate(db)
  return {db, async dispose() {
    await db.close()
    await drop?.()
  }}
}

/**
 * In-memory PGlite (always) and a scratch PostgreSQL database on the test server (skipped with a
 * notice when it does not answer, a failure under `CI=true`): for `describe.each`.
 */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  const postgres = await serviceAvailable('PostgreSQL', POSTGRES_URL)
  return [
    {name: 'PGlite', skip: false, open: async () => migrated(await openDatabase('memory://', {pgliteWorker: false}))},
    {name: 'PostgreSQL', skip: !postgres, open: async () => {
      const scratch = await createScratchDatabase()
      return migrated(await openDatabase(scratch.url), () => scratch.drop())
    }},
  ]
}
