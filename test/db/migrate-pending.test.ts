import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {defaultMigrationsDir, migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'

describe('migrate on an embedded database', () => {
  let dir: string
  let db: Database
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-migrations-'))
    await cp(defaultMigrationsDir(), dir, {recursive: true})
    db = await openDatabase('memory://')
  })
  afterAll(async () => {
    await db?.close()
    await rm(dir, {recursive: true, force: true})
  })

  it('applies only a new migration, and an up-to-date database costs one transaction, not one per migration', async () => {
    await writeFile(path.join(dir, '9999_pending_test.sql'), 'CREATE TABLE pending_test (id integer PRIMARY KEY);\n')
    const first = await migrate(db, {migrationsDir: dir})
    expect(first).toEqual({applied: [9999], current: 9999})

    let transactions = 0
    const counted: Database = Object.assign(Object.create(db) as Database, {
      transaction: (work: Parameters<Database['transaction']>[0]) => {
        transactions++
        return db.transaction(work)
      },
    })
    expect(await migrate(counted, {migrationsDir: dir})).toEqual({applied: [], current: 9999})
    expect(transactions).toBe(1)
    const {rows} = await db.query<{n: number}>('SELECT count(*)::int AS n FROM schema_migrations WHERE version = 9999')
    expect(rows[0].n).toBe(1)
  })
})
