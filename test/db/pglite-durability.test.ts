import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT} from '../helpers/cli.js'

// strace counts the sync calls the process makes; it is a Debian package of this machine kind.
const STRACE = '/usr/bin/strace'
const runnable = existsSync(STRACE)
if (!runnable) console.warn('[skip] the embedded database durability test needs strace (apt-get install strace)')

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'factflow-durability-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

/** fsync/fdatasync/syncfs calls of a process (and its children) that opens the database, writes a row and closes it. */
async function syncCalls(dataDir: string, env: Record<string, string>): Promise<number> {
  const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/db/pglite-database.js')).href
  const script = `const {PgliteDatabase} = await import(${JSON.stringify(module)})
    const db = await PgliteDatabase.open({dataDir: process.argv[1], worker: false})
    await db.query('CREATE TABLE IF NOT EXISTS t (s text)')
    await db.query("INSERT INTO t VALUES ('committed')")
    await db.close()`
  const trace = path.join(root, `trace-${Date.now()}.txt`)
  await promisify(execFile)(STRACE, ['-f', '-e', 'trace=fsync,fdatasync,syncfs', '-o', trace, process.execPath, '--input-type=module', '-e', script, dataDir], {
    env: {...process.env, ...env},
  })
  return (await readFile(trace, 'utf8')).split('\n').filter((line) => /\b(fsync|fdatasync|syncfs)\(/.test(line)).length
}

describe.skipIf(!runnable)('embedded database durability', () => {
  it('syncs what a run wrote to disk when the database closes (PGlite alone never calls fsync); FACTFLOW_DB_SYNC=off does not', async () => {
    const dataDir = path.join(root, 'db')
    await syncCalls(dataDir, {FACTFLOW_DB_SYNC: 'off'})
    expect(await syncCalls(dataDir, {FACTFLOW_DB_SYNC: 'off'})).toBe(0)
    expect(await syncCalls(dataDir, {})).toBeGreaterThan(0)
  }, 120_000)
})
