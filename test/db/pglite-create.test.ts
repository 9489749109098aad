import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PgliteDatabase} from '../../src/db/pglite-database.js'
import {PROJECT_ROOT} from '../helpers/cli.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'factflow-create-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

// Each test creates a database (initdb or a template load, 20–30 s on a loaded 2-core machine) and
// closes it, which syncs its files to disk (~1–2 s for a new database, FACTFLOW_DB_SYNC).
describe('creating a new embedded database', {timeout: 90_000}, () => {
  it('creates it in another process: opening a new directory without a template costs this process no initdb memory', async () => {
    // initdb in this process peaked at ~800 MB resident; opening an existing directory costs ~250 MB.
    const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/db/pglite-database.js')).href
    const script = `
      const {PgliteDatabase} = await import(${JSON.stringify(module)})
      const db = await PgliteDatabase.open({dataDir: process.argv[1]})
      const {rows} = await db.query('SELECT count(*)::int AS n FROM pg_tables')
      await db.close()
      console.log(JSON.stringify({tables: rows[0].n, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)}))`
    const {stdout} = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, path.join(root, 'measured', 'db')],
      {env: {...process.env, FACTFLOW_CACHE_DIR: 'off'}})
    const result = JSON.parse(stdout) as {tables: number; max_rss_mb: number}
    expect(result.tables).toBeGreaterThan(0)
    expect(result.max_rss_mb).toBeLessThan(450)
  })

  it('leaves only the database and no staging directory beside it', async () => {
    const parent = path.join(root, 'tidy')
    const db = await PgliteDatabase.open({dataDir: path.join(parent, 'db'), worker: false})
    await db.close()
    expect(await readdir(parent)).toEqual(['db'])
    expect(await readdir(path.join(parent, 'db'))).toContain('PG_VERSION')
  })

  it('sweeps staging directories left by a creation that was killed', async () => {
    const parent = path.join(root, 'killed')
    await mkdir(path.join(parent, 'db.creating-4242', 'base'), {recursive: true})
    await writeFile(path.join(parent, 'db.creating-4242', 'base', 'half'), 'x')
    await mkdir(path.join(parent, 'db.creating-notes'))
    const db = await PgliteDatabase.open({dataDir: path.join(parent, 'db'), worker: false})
    await db.close()
    // Only this database's staging form (a pid) is swept; a sibling named otherwise is not ours.
    expect((await readdir(parent)).sort()).toEqual(['db', 'db.creating-notes'])
  })

  it('a run killed while creating the database does not break the next one: its creator stops, its folder is swept', async () => {
    const parent = path.join(root, 'killed-live')
    const dataDir = path.join(parent, 'db')
    const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/db/pglite-database.js')).href
    const script = `const {PgliteDatabase} = await import(${JSON.stringify(module)}); await PgliteDatabase.open({dataDir: process.argv[1]})`
    const {spawn} = await import('node:child_process')
    const run = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {env: {...process.env, FACTFLOW_CACHE_DIR: 'off'}})
    // Kill it once its creator child is writing the staging folder (initdb takes seconds).
    for (let i = 0; i < 200 && !(await readdir(parent).catch(() => [] as string[])).some((n) => n.startsWith('db.creating-')); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    await new Promise((r) => setTimeout(r, 500))
    run.kill('SIGKILL')
    await new Promise((r) => run.once('exit', r))
    const db = await PgliteDatabase.open({dataDir, worker: false})
    const {rows} = await db.query<{n: number}>('SELECT 1 AS n')
    expect(rows[0]!.n).toBe(1)
    await db.close()
    // The orphaned creator stopped instead of writing on: nothing reappears beside the database.
    await new Promise((r) => setTimeout(r, 4000))
    expect((await readdir(parent)).filter((n) => n !== 'db.lock')).toEqual(['db'])
  }, 60_000)

  it('accepts an empty existing directory', async () => {
    const dir = path.join(root, 'empty', 'db')
    await mkdir(dir, {recursive: true})
    const db = await PgliteDatabase.open({dataDir: dir, worker: false})
    expect((await db.query<{x: number}>('SELECT 1 AS x')).rows[0]!.x).toBe(1)
    await db.close()
  })

  it('refuses a directory that holds other files, and leaves them as they were', async () => {
    const dir = path.join(root, 'occupied')
    await mkdir(dir, {recursive: true})
    await writeFile(path.join(dir, 'notes.txt'), 'mine')
    await expect(PgliteDatabase.open({dataDir: dir, worker: false})).rejects.toMatchObject({
      code: 'DATABASE_OPEN_FAILED', message: expect.stringContaining('holds files but no embedded database'),
    })
    expect(await readdir(dir)).toEqual(['notes.txt'])
    expect((await readdir(root)).filter((name) => name.startsWith('occupied'))).toEqual(['occupied'])
  })
})
