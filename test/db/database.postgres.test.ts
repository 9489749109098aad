import {openDatabase} from '../../src/db/open-database.js'
import {describeDatabaseContract} from '../contracts/database.contract.js'
import type {ScratchDatabase} from '../helpers/scratch-database.js'
import {createScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)
let scratch: ScratchDatabase | undefined

describeDatabaseContract('PostgreSQL', {
  skip: !available,
  async open() {
    scratch = await createScratchDatabase()
    return openDatabase(scratch.url)
  },
  async dispose(db) {
    await db.close()
    await scratch?.drop()
  },
})
