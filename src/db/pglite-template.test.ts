import {mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadMigrations, defaultMigrationsDir, migrate, type Migration} from './migrate.js'
import {openDatabase} from './open-database.js'
import {PgliteDatabase} from './pglite-database.js'
import {defaultCacheDir, templatePlan} from './pglite-template.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'factflow-template-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

const isDataDirectory = async (dir: string) => (await readFile(path.join(dir, 'PG_VERSION'), 'utf8')).trim() !== ''

/** A symbolic link to itself: reading through it fails (ELOOP). */
const symlinkLoop = (at: string) => symlink(at, at)

// Each case runs an initdb in WebAssembly: seconds on a quiet machine, over 30 s on a loaded one.
describe('embedded database templates', {timeout: 180_000}, () => {
  it.each([true, false])('saves a template after the first initdb and starts later new directories from it (worker: %s)', async (worker) => {
    const cache = path.join(root, `cache-${worker}`)
    const first = await PgliteDatabase.open({dataDir: path.join(root, `first-${worker}`), worker, templateCacheDir: cache})
    await first.query('CREATE TABLE only_in_first (id int)')
    await first.close()
    const [template] = await readdir(cache)
    expect(template).toMatch(/^pglite-[\d.]+-pgvector-[\d.]+$/)
    const file = path.join(cache, template!)
    expect(await isDataDirectory(file)).toBe(true)
    const saved = (await stat(path.join(file, 'PG_VERSION'))).mtimeMs

    const second = await PgliteDatabase.open({dataDir: path.join(root, `second-${worker}`), worker, templateCacheDir: cache})
    // A working database of its own (nothing of the first one), with pgvector available.
    expect((await second.query<{n: number}>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'")).rows[0]!.n).toBe(0)
    await second.query('CREATE EXTENSION IF NOT EXISTS vector')
    expect((await second.query<{d: number}>("SELECT '[1,2]'::vector <-> '[1,3]'::vector AS d")).rows[0]!.d).toBe(1)
    await second.close()
    expect((await stat(path.join(file, 'PG_VERSION'))).mtimeMs).toBe(saved)
    expect(await readdir(cache)).toEqual([template])
  })

  it.each(['unreadable', 'damaged'])('starts afresh from a %s template and replaces it', async (kind) => {
    const cache = path.join(root, `broken-cache-${kind}`)
    const plan = await templatePlan(path.join(root, 'new-dir'), cache)
    await mkdir(plan.save!, {recursive: true})
    await writeFile(path.join(plan.save!, 'PG_VERSION'), '15\n')
    // Unreadable: a folder copyTree cannot read; damaged: copies fine, PGlite cannot start it.
    if (kind === 'unreadable') await symlinkLoop(path.join(plan.save!, 'base'))
    else await writeFile(path.join(plan.save!, 'global'), 'not a folder')
    const db = await PgliteDatabase.open({dataDir: path.join(root, `after-${kind}`), worker: false, templateCacheDir: cache})
    expect((await db.query<{x: number}>('SELECT 1 AS x')).rows[0]!.x).toBe(1)
    await db.close()
    expect(await isDataDirectory(plan.save!)).toBe(true)
    expect((await stat(path.join(plan.save!, 'global'))).isDirectory()).toBe(true)
  })

  it('keeps an old build\'s tarball of another schema out of use and removes it when a template is saved', async () => {
    const cache = path.join(root, 'old-tarball')
    const plan = await templatePlan(path.join(root, 'new-dir'), cache)
    await mkdir(cache, {recursive: true})
    const tarball = `${plan.save!}-schema-1-aaaaaaaaaaaa.tar.gz`
    await writeFile(tarball, 'an old build kept a tarball here')
    const db = await PgliteDatabase.open({dataDir: path.join(root, 'after-tarball'), worker: false, templateCacheDir: cache})
    await db.close()
    expect(await readdir(cache)).toEqual([path.basename(plan.save!)])
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

  it('creates a new directory already migrated, keeps that state in the template, and renews it when the migrations change', async () => {
    const cache = path.join(root, 'schema-cache')
    const migrations = await loadMigrations(defaultMigrationsDir())
    const applied = async (db: PgliteDatabase) =>
      (await db.query<{version: number}>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((row) => row.version)

    // No template yet: initdb and the migrations happen in the creator; migrate() has nothing left to do.
    const first = await PgliteDatabase.open({dataDir: path.join(root, 'schema-first'), worker: false, templateCacheDir: cache, schema: async () => migrations})
    expect(await applied(first)).toEqual(migrations.map((m) => m.version))
    expect((await migrate(first)).applied).toEqual([])
    await first.close()
    const [template] = await readdir(cache)
    expect(template).toMatch(new RegExp(`^pglite-[\\d.]+-pgvector-[\\d.]+-schema-${migrations.at(-1)!.version}-[0-9a-f]{12}$`))

    // From the template: the same schema, nothing to apply.
    const second = await PgliteDatabase.open({dataDir: path.join(root, 'schema-second'), worker: false, templateCacheDir: cache, schema: async () => migrations})
    expect(await applied(second)).toEqual(migrations.map((m) => m.version))
    expect((await migrate(second)).applied).toEqual([])
    // Without PostgreSQL's template databases (600 of a new directory's 1,066 files): only `postgres`.
    expect((await second.query<{datname: string}>('SELECT datname FROM pg_database')).rows.map((row) => row.datname)).toEqual(['postgres'])
    await second.close()
    expect(await readdir(path.join(root, 'schema-second', 'base'))).toHaveLength(1)

    // One more migration: a new template with it, the old one removed.
    const extra: Migration = {version: 9999, name: 'extra', checksum: 'c'.repeat(64), sql: 'CREATE TABLE template_extra (id int)'}
    const third = await PgliteDatabase.open({dataDir: path.join(root, 'schema-third'), worker: false, templateCacheDir: cache, schema: async () => [...migrations, extra]})
    expect((await applied(third)).at(-1)).toBe(9999)
    expect((await third.query<{n: number}>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'template_extra'")).rows[0]!.n).toBe(1)
    await third.close()
    const names = await readdir(cache)
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/-schema-9999-[0-9a-f]{12}$/)
  })

  it('starts in-memory databases from a tarball of the template, made once, and survives a damaged one', async () => {
    const cache = path.join(root, 'memory-cache')
    const migrations = await loadMigrations(defaultMigrationsDir())
    const count = async (db: Awaited<ReturnType<typeof openDatabase>>) =>
      (await db.query<{n: number}>('SELECT count(*)::int AS n FROM schema_migrations')).rows[0]!.n
    const first = await openDatabase('memory://', {pgliteWorker: false, templateCacheDir: cache})
    expect(await count(first)).toBe(migrations.length)
    expect((await migrate(first)).applied).toEqual([])
    await first.query('CREATE TABLE only_in_first (id int)')
    await first.close()
    const names = (await readdir(cache)).sort()
    expect(names).toHaveLength(2)
    expect(names[1]).toBe(`${names[0]}.tar.gz`)
    const tarball = path.join(cache, names[1]!)
    const made = (await stat(tarball)).mtimeMs

    // From the tarball: migrated, nothing of the first one, pgvector there.
    const second = await openDatabase('memory://', {templateCacheDir: cache})
    expect(await count(second)).toBe(migrations.length)
    expect((await second.query<{n: number}>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'")).rows[0]!.n).toBe(0)
    expect((await second.query<{d: number}>("SELECT '[1,2]'::vector <-> '[1,3]'::vector AS d")).rows[0]!.d).toBe(1)
    await second.close()
    expect((await stat(tarball)).mtimeMs).toBe(made)

    // Damaged: the database still opens (an initdb), and the tarball is made again next time.
    await writeFile(tarball, 'not a tarball')
    const third = await openDatabase('memory://', {pgliteWorker: false, templateCacheDir: cache})
    expect((await migrate(third)).applied.length).toBe(migrations.length)
    await third.close()
    const fourth = await openDatabase('memory://', {pgliteWorker: false, templateCacheDir: cache})
    expect(await count(fourth)).toBe(migrations.length)
    await fourth.close()
    expect((await readFile(tarball)).subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(true)
  })

  it('openDatabase creates a new embedded directory with every migration applied, even without a template cache', async () => {
    const db = await openDatabase(path.join(root, 'opened-no-cache'), {pgliteWorker: false, templateCacheDir: null})
    try {
      expect((await migrate(db)).applied).toEqual([])
      expect((await db.query<{n: number}>('SELECT count(*)::int AS n FROM schema_migrations')).rows[0]!.n)
        .toBe((await loadMigrations(defaultMigrationsDir())).length)
    } finally {
      await db.close()
    }
  })
})
