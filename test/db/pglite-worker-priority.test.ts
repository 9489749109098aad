import {readdirSync, readFileSync} from 'node:fs'

import {afterEach, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/open-database.js'
import {workerNice} from '../../src/db/pglite-engine.js'

/** Nice value of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[16])
  })
}

describe('workerNice', () => {
  it('is 19 by default and takes FACTFLOW_DB_WORKER_NICE from 0 to 19', () => {
    expect(workerNice({})).toBe(19)
    expect(workerNice({FACTFLOW_DB_WORKER_NICE: '0'})).toBe(0)
    expect(workerNice({FACTFLOW_DB_WORKER_NICE: '7'})).toBe(7)
    expect(workerNice({FACTFLOW_DB_WORKER_NICE: ''})).toBe(19)
  })

  it('refuses anything else with a coded error and a hint', () => {
    for (const bad of ['-5', '20', '2.5', 'high']) {
      expect(() => workerNice({FACTFLOW_DB_WORKER_NICE: bad})).toThrow(expect.objectContaining({
        code: 'SETTINGS_INVALID', message: expect.stringContaining('from 0 to 19'), hint: expect.stringContaining('Unset it'),
      }))
    }
  })
})

describe.runIf(process.platform === 'linux')('embedded database worker priority (Linux)', () => {
  const saved = process.env.FACTFLOW_DB_WORKER_NICE
  afterEach(() => {
    if (saved === undefined) delete process.env.FACTFLOW_DB_WORKER_NICE
    else process.env.FACTFLOW_DB_WORKER_NICE = saved
  })

  it('runs the PGlite worker thread at the lowest priority, leaving the others as they were', async () => {
    delete process.env.FACTFLOW_DB_WORKER_NICE
    const before = threadNices().filter((nice) => nice === 19).length
    const db = await openDatabase('memory://')
    try {
      const {rows} = await db.query<{one: number}>('SELECT 1 AS one')
      expect(rows[0]!.one).toBe(1)
      expect(threadNices().filter((nice) => nice === 19).length).toBe(before + 1)
      expect(threadNices().filter((nice) => nice === 0).length).toBeGreaterThan(0)
    } finally {
      await db.close()
    }
  }, 60_000)

  it('keeps normal priority with FACTFLOW_DB_WORKER_NICE=0', async () => {
    process.env.FACTFLOW_DB_WORKER_NICE = '0'
    const before = threadNices().filter((nice) => nice === 19).length
    const db = await openDatabase('memory://')
    try {
      await db.query('SELECT 1')
      expect(threadNices().filter((nice) => nice === 19).length).toBe(before)
    } finally {
      await db.close()
    }
  }, 60_000)
})
