import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, PROJECT_ROOT} from '../helpers/cli.js'
import {createScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'

// When the file store's objects reach the disk, counted from outside with strace (a Debian
// package of this machine kind), including the `sync -f` child that makes the syncfs call.
const STRACE = '/usr/bin/strace'
const runnable = existsSync(STRACE)
if (!runnable) console.warn('[skip] the file store sync tests need strace (apt-get install strace)')
const postgres = runnable && await serviceAvailable('PostgreSQL', POSTGRES_URL)

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'factflow-store-sync-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

interface SyncCalls {
  fsync: number
  syncfs: number
  /** The folders `sync -f` was started for. */
  syncedFolders: string[]
}

async function traced(args: string[], options: {cwd?: string; env?: Record<string, string>} = {}): Promise<SyncCalls & {stdout: string}> {
  const trace = path.join(root, `trace-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`)
  const {stdout} = await promisify(execFile)(STRACE, ['-f', '-s', '512', '-e', 'trace=fsync,fdatasync,syncfs,execve', '-o', trace, process.execPath, ...args], {
    cwd: options.cwd, env: {...process.env, FORCE_COLOR: '0', ...options.env}, maxBuffer: 16 << 20,
  })
  const lines = (await readFile(trace, 'utf8')).split('\n')
  return {
    stdout,
    fsync: lines.filter((line) => /\b(fsync|fdatasync)\(/.test(line)).length,
    syncfs: lines.filter((line) => /\bsyncfs\(/.test(line)).length,
    // Successful execs only (the PATH lookup tries each folder in turn).
    syncedFolders: lines.flatMap((line) => /execve\("[^"]*\/sync", \["sync", "-f", "([^"]+)"\].* = 0$/.exec(line)?.[1] ?? []),
  }
}

/** A process that puts 20 objects into a file store in `mode` (and `smallIo`), then closes it or not. */
function putObjects(store: string, mode: string, close: boolean, options: {smallIo?: string; env?: Record<string, string>} = {}): Promise<SyncCalls & {stdout: string}> {
  const module = pathToFileURL(path.join(PROJECT_ROOT, 'dist/src/storage/file-object-store.js')).href
  const script = `const {FileObjectStore} = await import(${JSON.stringify(module)})
    const store = new FileObjectStore({root: process.argv[1], sync: process.argv[2], smallIo: process.argv[4]})
    for (let i = 0; i < 20; i++) await store.put('objects/o' + i + '.txt', 'object ' + i)
    if (process.argv[3] === 'close') await store.close()
    console.log((await store.get('objects/o7.txt')).body.toString())`
  return traced(['--input-type=module', '-e', script, store, mode, close ? 'close' : 'open', options.smallIo ?? 'pool'], {env: options.env})
}

describe.skipIf(!runnable)('when file store objects reach the disk', () => {
  it('each: every object is fsynced before it is renamed into place', async () => {
    const calls = await putObjects(path.join(root, 'each'), 'each', true)
    expect(calls.stdout.trim()).toBe('object 7')
    expect(calls.fsync).toBeGreaterThanOrEqual(20)
    expect(calls.syncfs).toBe(0)
  }, 60_000)

  it('on-close: no sync per object; close() syncs them all with one syncfs', async () => {
    const open = await putObjects(path.join(root, 'open'), 'on-close', false)
    expect(open.stdout.trim()).toBe('object 7')
    expect(open).toMatchObject({fsync: 0, syncfs: 0})
    const closed = await putObjects(path.join(root, 'closed'), 'on-close', true)
    expect(closed).toMatchObject({fsync: 0, syncfs: 1, syncedFolders: [path.join(root, 'closed')]})
    // The same with small objects written in synchronous calls (`factflow run`).
    const inline = await putObjects(path.join(root, 'inline'), 'on-close', true, {smallIo: 'inline'})
    expect(inline).toMatchObject({stdout: 'object 7\n', fsync: 0, syncfs: 1, syncedFolders: [path.join(root, 'inline')]})
  }, 60_000)

  it('on-close without a usable `sync -f`: close() fsyncs each object and folder written instead', async () => {
    // No `sync` on PATH (node is started by its full path).
    const calls = await putObjects(path.join(root, 'fallback'), 'on-close', true, {smallIo: 'inline', env: {PATH: path.join(root, 'no-such-dir')}})
    expect(calls.stdout.trim()).toBe('object 7')
    expect(calls.syncfs).toBe(0)
    // 20 objects, their 20 sidecars and their folders.
    expect(calls.fsync).toBeGreaterThanOrEqual(40)
  }, 60_000)

  describe('factflow run', () => {
    let corpus: string
    beforeAll(async () => {
      corpus = path.join(root, 'corpus')
      await mkdir(corpus, {recursive: true})
      await Promise.all(Array.from({length: 30}, (_, i) => writeFile(path.join(corpus, `page-${i}.md`), `# Page ${i}\n\ntext ${i}\n`)))
    })
    // Run from `root`: file adapters read only below the working directory.
    const run = (work: string, database: string[], env: Record<string, string> = {}) => traced([BIN, 'run', path.join(PROJECT_ROOT, 'config/pipelines/local-folder-to-storage.yaml'),
      '--set', `path=${corpus}`, '--storage', `file://${path.join(work, 'storage')}`, ...database, '--json', '--no-tui'], {cwd: root, env})
    const storedObjects = async (work: string) => (await readdir(path.join(work, 'storage'), {recursive: true})).filter((name) => name.endsWith('.md')).length

    it('on the embedded database syncs its objects and database when it ends, not one by one', async () => {
      const work = path.join(root, 'run-embedded')
      await mkdir(work)
      const calls = await run(work, ['--database', path.join(work, 'db')])
      expect(JSON.parse(calls.stdout)).toMatchObject({status: 'completed'})
      expect(await storedObjects(work)).toBe(30)
      // The execution's pending record is written with an fsync; no object is. The objects, then
      // the database, are synced when the run ends.
      expect(calls.fsync).toBeLessThan(10)
      expect(calls.syncedFolders).toEqual([path.join(work, 'storage'), path.join(work, 'db')])
      expect(calls.syncfs).toBe(2)
    }, 120_000)

    it('with FACTFLOW_DB_SYNC=off (scratch runs) syncs nothing, objects included', async () => {
      const work = path.join(root, 'run-scratch')
      await mkdir(work)
      const calls = await run(work, ['--database', path.join(work, 'db')], {FACTFLOW_DB_SYNC: 'off'})
      expect(JSON.parse(calls.stdout)).toMatchObject({status: 'completed'})
      expect(await storedObjects(work)).toBe(30)
      expect(calls.syncfs).toBe(0)
      expect(calls.syncedFolders).toEqual([])
      expect(calls.fsync).toBeLessThan(10)
    }, 120_000)

    it.skipIf(!postgres)('on PostgreSQL fsyncs each object before its message is acked', async () => {
      const work = path.join(root, 'run-postgres')
      await mkdir(work)
      const database = await createScratchDatabase()
      try {
        const calls = await run(work, ['--database', database.url])
        expect(JSON.parse(calls.stdout)).toMatchObject({status: 'completed'})
        expect(await storedObjects(work)).toBe(30)
        expect(calls.fsync).toBeGreaterThanOrEqual(30)
        expect(calls.syncfs).toBe(0)
      } finally {
        await database.drop()
      }
    }, 120_000)
  })
})
