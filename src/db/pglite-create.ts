import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readdir, rename, rm, rmdir, stat} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {UserInputError} from '../errors/index.js'
import {PGLITE_SETTINGS, pgliteModuleUrls} from './pglite-engine.js'
import type {PgliteTemplatePlan} from './pglite-template.js'

/** True when `dataDir` holds no embedded database yet (it may not exist). */
export function isNewDataDirectory(dataDir: string): boolean {
  return !existsSync(`${dataDir}/PG_VERSION`)
}

// The creator's whole program, run by `node --input-type=module -e` (same source from dist/ and
// from the TypeScript sources under vitest). A template tarball when there is one, else initdb and
// the migrations (then the tarball is saved, best effort, by rename so a concurrent reader never sees
// half a file).
const CREATOR_SOURCE = `
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
const job = JSON.parse(process.argv[1])
// Orphaned (the run was killed): stop at once instead of writing on into a folder the next run sweeps.
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) process.exit(1) }, 200).unref()
const {PGlite} = await import(job.pgliteUrl)
const {vector} = await import(job.vectorUrl)
const base = {dataDir: job.dataDir, extensions: {vector}, startParams: [...PGlite.defaultStartParams, ...job.settings]}
const plan = {...job.template}
let db
if (plan.load) {
  try {
    db = await PGlite.create({...base, loadDataDir: new Blob([await readFile(plan.load)])})
  } catch {
    // A broken template: start afresh, and save a new one.
    await rm(job.dataDir, {recursive: true, force: true})
    await mkdir(job.dataDir, {recursive: true})
    await rm(plan.load, {force: true})
    plan.save = plan.load
  }
}
if (!db) {
  db = await PGlite.create(base)
  // The migrations, as migrate() applies them: each in its own transaction with its record.
  if (plan.schema) {
    await db.exec(plan.schema.table)
    for (const m of plan.schema.migrations) {
      await db.transaction(async (tx) => {
        await tx.exec(m.sql)
        await tx.query(plan.schema.record, [m.version, m.name, m.checksum])
      })
    }
  }
  if (plan.save) {
    try {
      const bytes = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer())
      await mkdir(path.dirname(plan.save), {recursive: true})
      const temporary = plan.save + '.' + process.pid + '.' + Date.now() + '.tmp'
      await writeFile(temporary, bytes)
      await rename(temporary, plan.save)
    } catch {}
  }
}
await db.close()
`

/**
 * Throws `DATABASE_OPEN_FAILED` (bad input, exit 2) when `dataDir` can neither hold an embedded
 * database nor receive a new one: a file, or a directory holding other files but no database.
 * `factflow run` calls it before any work; `createDataDirectory` again before creating.
 */
export async function assertUsableDataDirectory(dataDir: string): Promise<void> {
  if (!existsSync(dataDir) || !isNewDataDirectory(dataDir)) return
  const hint = 'Point --database at an empty or new directory, or move this one aside.'
  if (!(await stat(dataDir)).isDirectory()) {
    throw new UserInputError('DATABASE_OPEN_FAILED', `${dataDir} is a file, not an embedded database directory`, {hint})
  }
  if ((await readdir(dataDir)).length > 0) {
    throw new UserInputError('DATABASE_OPEN_FAILED', `${dataDir} holds files but no embedded database`, {hint})
  }
}

/**
 * Removes `<dataDir>.creating-<pid>[-<n>]` directories left by creations that were killed. With the
 * directory lock held nobody else is creating this database, so every such sibling is stale. The
 * creator of a killed run may still be writing into one for a moment (it stops when it sees it is
 * orphaned): removal is retried, and a folder that cannot be removed is left for the next sweep,
 * never a reason to fail, since this creation uses a folder of its own.
 */
export async function sweepStaging(dataDir: string): Promise<void> {
  const prefix = `${path.basename(dataDir)}.creating-`
  const parent = path.dirname(dataDir)
  const names = await readdir(parent).catch(() => [] as string[])
  for (const name of names) {
    if (name.startsWith(prefix) && /^\d+(-\d+)?$/.test(name.slice(prefix.length))) {
      await rm(path.join(parent, name), {recursive: true, force: true, maxRetries: 10, retryDelay: 100}).catch(() => undefined)
    }
  }
}

/**
 * Creates the embedded database in `dataDir` (which must hold none) in a short-lived child process,
 * from the cached template when there is one. PGlite's initdb peaks at ~800 MB resident and a
 * template load at ~370 MB, and WebAssembly memory never shrinks: done in the pipeline's own
 * process, that memory stayed with the run (a 1,000-page crawl into a new directory peaked
 * ~70–330 MB higher than into an existing one). The child writes into a sibling directory that is
 * renamed into place, so a failed or interrupted creation leaves no half-made database behind.
 * The caller holds the directory lock.
 */
export async function createDataDirectory(dataDir: string, template: PgliteTemplatePlan): Promise<void> {
  await assertUsableDataDirectory(dataDir)
  await sweepStaging(dataDir)
  // Unique even when a killed run had this pid (pid 1 in containers) and left its folder behind.
  const staging = `${dataDir}.creating-${process.pid}-${Date.now()}${Math.floor(Math.random() * 1000)}`
  const job = {dataDir: staging, template, settings: PGLITE_SETTINGS, ...pgliteModuleUrls()}
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CREATOR_SOURCE, JSON.stringify(job)], {maxBuffer: 4 << 20})
    if (existsSync(dataDir)) await rmdir(dataDir)
    await rename(staging, dataDir)
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    const stderr = (error as {stderr?: string}).stderr?.trim()
    throw new Error(stderr ? stderr.split('\n').slice(-3).join(' ') : String((error as Error).message), {cause: error})
  }
}
