import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {ScratchDatabase} from '../helpers/scratch-database.js'
import {createScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)

describe.skipIf(!available)('migrations on PostgreSQL', () => {
  let scratch: ScratchDatabase

  beforeAll(async () => {
    scratch = await createScratchDatabase()
  })
  afterAll(async () => {
    await scratch?.drop()
  })

  it('applies each migration once when several processes start at the same time', async () => {
    const databases = await Promise.all([1, 2, 3].map(() => openDatabase(scratch.url, {poolSize: 2})))
    try {
      const results = await Promise.all(databases.map((db) => migrate(db)))
      const applied = results.flatMap((result) => result.applied)
      expect(applied.filter((version) => version === 1)).toHaveLength(1)
      const {rows} = await databases[0].query<{n: number}>('SELECT count(*)::int AS n FROM schema_migrations WHERE version = 1')
      expect(rows[0].n).toBe(1)
    } finally {
      await Promise.all(databases.map((db) => db.close()))
    }
  })
})
