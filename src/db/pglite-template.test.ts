import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PgliteDatabase} from './pglite-database.js'
import {defaultCacheDir, templatePlan} from './pglite-template.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'factflow-template-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

const gzipped = async (file: string) => (await readFile(file)).subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))

describe('embedded database templates', () => {
  it.each([true, false])('saves a template after the first initdb and starts later new directories from it (worker: %s)', async (worker) => {
    const cache = path.join(root, `cache-${worker}`)
    const first = await PgliteDatabase.open({dataDir: path.join(root, `first-${worker}`), worker, templateCacheDir: cache})
    await first.query('CREATE TABLE only_in_first (id int)')
    await first.close()
    const [template] = await readdir(cache)
    expect(template).toMatch(/^pglite-[\d.]+-pgvector-[\d.]+\.tar\.gz$/)
    const file = path.join(cache, template!)
    expect(await gzipped(file)).toBe(true)
    const saved = (await stat(file)).mtimeMs

    const second = await PgliteDatabase.open({dataDir: path.join(root, `second-${worker}`), worker, templateCacheDir: cache})
    // A working database of its own (nothing of the first one), with pgvector available.
    expect((await second.query<{n: number}>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'")).rows[0]!.n).toBe(0)
    await second.query('CREATE EXTENSION IF NOT EXISTS vector')
    expect((await second.query<{d: number}>("SELECT '[1,2]'::vector <-> '[1,3]'::vector AS d")).rows[0]!.d).toBe(1)
    await second.close()
    expect((await stat(file)).mtimeMs).toBe(saved)
  })

  it('starts afresh from a broken template and replaces it', async () => {
    const cache = path.join(root, 'broken-cache')
    const plan = await templatePlan(path.join(root, 'new-dir'), cache)
    await mkdir(cache, {recursive: true})
    await writeFile(plan.save!, 'not a tarball')
    const db = await PgliteDatabase.open({dataDir: path.join(root, 'after-broken'), worker: false, templateCacheDir: cache})
    expect((await db.query<{x: number}>('SELECT 1 AS x')).rows[0]!.x).toBe(1)
    await db.close()
    expect(await gzipped(plan.save!)).toBe(true)
  })

  it('never applies a template to a directory that holds a database', async () => {
    const dir = path.join(root, 'existing')
    const db = await PgliteDatabase.open({dataDir: dir, worker: false})
    await db.close()
    expect(await templatePlan(dir, path.join(root, 'cache-true'))).toEqual({})
    expect(await templatePlan(undefined, path.join(root, 'cache-true'))).toEqual({})
  })

  it('keeps templates in FACTFLOW_CACHE_DIR, XDG_CACHE_HOME or ~/.cache, or nowhere when turned off', () => {
    expect(defaultCacheDir({FACTFLOW_CACHE_DIR: '/tmp/x'})).toBe('/tmp/x')
    expect(defaultCacheDir({FACTFLOW_CACHE_DIR: 'off'})).toBeUndefined()
    expect(defaultCacheDir({XDG_CACHE_HOME: '/var/cache'})).toBe('/var/cache/factflow')
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'factflow'))
  })
})
