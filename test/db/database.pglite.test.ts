import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {openDatabase} from '../../src/db/open-database.js'
import {describeDatabaseContract} from '../contracts/database.contract.js'

const dirs = new WeakMap<object, string>()

describeDatabaseContract('PGlite on disk, in a worker thread', {
  async open() {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factflow-pglite-'))
    const db = await openDatabase(path.join(dir, 'db'))
    dirs.set(db, dir)
    return db
  },
  async dispose(db) {
    await db.close()
    const dir = dirs.get(db)
    if (dir !== undefined) await rm(dir, {recursive: true, force: true})
  },
})
