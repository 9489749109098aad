import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rename, rm, rmdir, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {UserInputError} from '../errors/index.js'
import {PGLITE_SETTINGS, pgliteModuleUrls} from './pglite-engine.js'
import {copyTree} from './copy-tree.js'
import {savingFolder, type PgliteTemplatePlan} from './pglite-template.js'

/** True when `dataDir` holds no embedded database yet (it may not exist). */
export function isNewDataDirectory(dataDir: string): boolean {
  return !existsSync(`${dataDir}/PG_VERSION`)
}

// The creator's whole program, run by `node --input-type=module -e` (same source from dist/ and
// from the TypeScript sources under vitest): initdb, then the migrations.
const CREATOR_SOURCE = `
const job = JSON.parse(process.argv[1])
// Orphaned (the run was killed): stop at once instead of writing on into a folder the next run sweeps.
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) process.exit(1) }, 200).unref()
const {PGlite} = await import(job.pgliteUrl)
const {vector} = await import(job.vectorUrl)
const db = await PGlite.create({dataDir: job.dataDir, extensions: {vector}, startParams: [...PGlite.defaultStartParams, ...job.settings]})
// The migrations, as migrate() applies them: each in its own transaction with its record.
const schema = job.schema
if (schema) {
  await db.exec(schema.table)
  for (const m of schema.migrations) {
    await db.transaction(async (tx) => {
      await tx.exec(m.sql)
      await tx.query(schema.record, [m.version, m.name, m.checksum])
    })
  }
  // PostgreSQL's template databases: factflow connects to \`postgres\` only and never creates a
  // database, and they are 600 of the 1,066 files every new directory would copy.
  await db.exec("UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')")
  await db.exec('DROP DATABASE template0')
  await db.exec('DROP DATABASE template1')
}
// A tarball of the result for in-memory databases (memoryTemplatePlan), by rename when whole.
if (job.dumpTo) {
  const {rename, writeFile} = await import('node:fs/promises')
  const temporary = job.dumpTo + '.saving-' + process.pid + '-' + Date.now()
  await writeFile(temporary, Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer()))
  await rename(temporary, job.dumpTo)
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
 * Creates the embedded database in `dataDir` (which must hold none): a copy of the cached template
 * when there is one, else initdb and the migrations in a short-lived child process (then saved as
 * the template). PGlite's initdb peaks at ~800 MB resident and WebAssembly memory never shrinks:
 * done in the pipeline's own process, that memory stayed with the run. A template is copied file
 * by file, with no PGlite started for it (a tarball loaded by PGlite in the child cost ≈ 2.5
 * CPU-seconds more per new directory). Either way the new directory is made in a sibling folder
 * renamed into place, so a failed or interrupted creation leaves no half-made database behind.
 * `fromTemplate` tells the caller to drop the template if PGlite cannot start the copy. The caller
 * holds the directory lock.
 */
export async function createDataDirectory(dataDir: string, template: PgliteTemplatePlan): Promise<{fromTemplate: boolean}> {
  await assertUsableDataDirectory(dataDir)
  await sweepStaging(dataDir)
  // Unique even when a killed run had this pid (pid 1 in containers) and left its folder behind.
  const staging = `${dataDir}.creating-${process.pid}-${Date.now()}${Math.floor(Math.random() * 1000)}`
  let fromTemplate = false
  try {
    if (template.load !== undefined) {
      try {
        await copyTree(template.load, staging)
        fromTemplate = true
      } catch {
        // A template that cannot be read: start afresh, and save a new one.
        await rm(staging, {recursive: true, force: true})
        await rm(template.load, {recursive: true, force: true}).catch(() => undefined)
        template = {...template, save: template.load, load: undefined}
      }
    }
    if (!fromTemplate) {
      const job = {dataDir: staging, schema: template.schema, settings: PGLITE_SETTINGS, ...pgliteModuleUrls()}
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CREATOR_SOURCE, JSON.stringify(job)], {maxBuffer: 4 << 20})
      if (template.save !== undefined) await saveTemplate(staging, template.save)
    }
    if (existsSync(dataDir)) await rmdir(dataDir)
    await rename(staging, dataDir)
    return {fromTemplate}
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    const stderr = (error as {stderr?: string}).stderr?.trim()
    throw new Error(stderr ? stderr.split('\n').slice(-3).join(' ') : String((error as Error).message), {cause: error})
  }
}

/**
 * Makes the tarball an in-memory database starts from (`memoryTemplatePlan`): a copy of the
 * template folder (or an initdb and the migrations, then saved as the folder too) opened once in
 * the creator child and dumped. Best effort: an in-memory database without it runs its initdb.
 */
export async function saveMemoryTemplate(template: PgliteTemplatePlan, tarball: string): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'factflow-memory-template-'))
  const dataDir = path.join(work, 'data')
  try {
    if (template.load !== undefined) await copyTree(template.load, dataDir)
    const job = {dataDir, schema: template.load === undefined ? template.schema : undefined, dumpTo: tarball, settings: PGLITE_SETTINGS, ...pgliteModuleUrls()}
    await mkdir(path.dirname(tarball), {recursive: true})
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CREATOR_SOURCE, JSON.stringify(job)], {maxBuffer: 4 << 20})
    if (template.load === undefined && template.save !== undefined) await saveTemplate(dataDir, template.save)
  } catch {
    // No tarball: the in-memory database is created by an initdb, as without a cache.
  } finally {
    await rm(work, {recursive: true, force: true}).catch(() => undefined)
  }
}

/** Copies a closed new data directory into the template cache, best effort, by rename when whole. */
async function saveTemplate(dataDir: string, template: string): Promise<void> {
  const saving = savingFolder(template)
  try {
    await mkdir(path.dirname(template), {recursive: true})
    await copyTree(dataDir, saving)
    await rename(saving, template)
  } catch {
    // Another process saved it first (the rename found a folder), or the cache is not writable.
  } finally {
    await rm(saving, {recursive: true, force: true}).catch(() => undefined)
  }
}
