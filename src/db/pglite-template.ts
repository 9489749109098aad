import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {readdir, readFile, rm} from 'node:fs/promises'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {RECORD_MIGRATION, SCHEMA_MIGRATIONS_TABLE, type Migration} from './migrate.js'

/** What PGlite needs to start a data directory from a template, or to save one. */
export interface PgliteTemplatePlan {
  /** A template: a closed data directory to copy as the new directory (no initdb, no PGlite start). */
  load?: string
  /** Where to save a copy of the new directory after its initdb (best effort, atomically by rename). */
  save?: string
  /**
   * Migrations to apply to a new directory that does not come from a template (the template
   * already holds them), recorded in `schema_migrations` exactly as `migrate` records them.
   */
  schema?: TemplateSchema
}

export interface TemplateSchema {
  table: string
  record: string
  migrations: Array<Pick<Migration, 'version' | 'name' | 'checksum' | 'sql'>>
}

/**
 * The template cache directory: `FACTFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/factflow`, else
 * `~/.cache/factflow`; undefined when `FACTFLOW_CACHE_DIR=off`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FACTFLOW_CACHE_DIR === 'off') return undefined
  if (env.FACTFLOW_CACHE_DIR) return path.resolve(env.FACTFLOW_CACHE_DIR)
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(base, 'factflow')
}

/**
 * A new embedded database costs an initdb in WebAssembly (3–4 s on an idle 2-core machine, over
 * 10 s on a busy one) and then its migrations (another 2–6 s of the database's CPU inside the run).
 * A template is a closed data directory of a freshly initialised and migrated database: a new
 * directory is a copy of it (≈ 0.3 s of file copies; no PGlite started for it). The first new
 * directory saves that copy in the cache; later ones copy it. Keyed by the PGlite and pgvector
 * versions and by the checksums of the migrations it holds (a template of other versions or
 * another schema is never used; saving a new one removes those of an older schema, and the
 * tarballs older builds kept). Without a cache the creator still applies the migrations, off the
 * run's own process. Only for a directory with no database in it yet.
 */
export async function templatePlan(dataDir: string | undefined, cacheDir: string | undefined, migrations: Migration[] = []): Promise<PgliteTemplatePlan> {
  if (dataDir === undefined || existsSync(path.join(dataDir, 'PG_VERSION'))) return {}
  return folderPlan(cacheDir, migrations)
}

async function folderPlan(cacheDir: string | undefined, migrations: Migration[]): Promise<PgliteTemplatePlan> {
  const schema: TemplateSchema | undefined = migrations.length === 0 ? undefined : {
    table: SCHEMA_MIGRATIONS_TABLE,
    record: RECORD_MIGRATION,
    migrations: migrations.map(({version, name, checksum, sql}) => ({version, name, checksum, sql})),
  }
  if (cacheDir === undefined) return schema ? {schema} : {}
  const template = path.join(cacheDir, `${await templatePrefix()}${schemaSuffix(migrations)}`)
  // Saved by rename once complete: a folder with its PG_VERSION is a whole template.
  return {...(isTemplate(template) ? {load: template} : {save: template}), ...(schema ? {schema} : {})}
}

/**
 * An in-memory database (`memory://`) cannot copy a folder: PGlite loads it from a tarball of the
 * same template (`<template>.tar.gz`, `dumpDataDir('gzip')`), made once from the folder (or from
 * an initdb that also saves the folder) by `saveMemoryTemplate`. Undefined without a cache.
 */
export async function memoryTemplatePlan(cacheDir: string | undefined, migrations: Migration[] = []): Promise<{plan: PgliteTemplatePlan; tarball: string} | undefined> {
  if (cacheDir === undefined || migrations.length === 0) return undefined
  const plan = await folderPlan(cacheDir, migrations)
  const template = plan.load ?? plan.save!
  return {plan, tarball: `${template}.tar.gz`}
}

/** True when `dir` is a saved template (a data directory; the rename that saves it is atomic). */
export function isTemplate(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'))
}

/** `pglite-<version>-pgvector-<version>`: what every template of this build's engine starts with. */
export async function templatePrefix(): Promise<string> {
  return `pglite-${await packageVersion('@electric-sql/pglite')}-pgvector-${await packageVersion('@electric-sql/pglite-pgvector')}`
}

/**
 * After a creation saved a new template, removes the cached templates of the same engine versions
 * but another schema or none (an older build's), and the tarballs builds before templates were
 * folders kept: they would never be loaded again by this one. Best effort.
 */
export async function pruneTemplates(plan: PgliteTemplatePlan): Promise<void> {
  if (plan.save === undefined || !isTemplate(plan.save)) return
  const dir = path.dirname(plan.save)
  const prefix = await templatePrefix()
  const names = await readdir(dir).catch(() => [] as string[])
  await Promise.all(names
    .filter((name) => (name === prefix || name.startsWith(`${prefix}.`) || name.startsWith(`${prefix}-schema-`)))
    .filter((name) => path.join(dir, name) !== plan.save && path.join(dir, name) !== `${plan.save}.tar.gz`)
    .filter((name) => !savingRecently(name))
    .map((name) => rm(path.join(dir, name), {recursive: true, force: true}).catch(() => undefined)))
}

/** The folder a template is copied into before its rename: `<template>.saving-<pid>-<ms>`. */
export function savingFolder(template: string): string {
  return `${template}.saving-${process.pid}-${Date.now()}`
}

/** A saving folder of the last 10 minutes may belong to another process copying right now. */
function savingRecently(name: string): boolean {
  const match = /\.saving-\d+-(\d+)$/.exec(name)
  return match !== null && Date.now() - Number(match[1]) < 10 * 60_000
}

/** Bumped when the creator changes what a new directory holds besides the migrations (2: no template0/template1). */
const TEMPLATE_LAYOUT = 2

function schemaSuffix(migrations: Migration[]): string {
  if (migrations.length === 0) return ''
  const hash = createHash('sha256')
  // What else the creator does to a new directory: a template made otherwise is not this one.
  hash.update(`layout:${TEMPLATE_LAYOUT}\n`)
  for (const migration of migrations) hash.update(`${migration.version}:${migration.checksum}\n`)
  return `-schema-${migrations[migrations.length - 1].version}-${hash.digest('hex').slice(0, 12)}`
}

async function packageVersion(name: string): Promise<string> {
  const require = createRequire(import.meta.url)
  // The package's main entry lies under its folder; walk up to its package.json.
  let dir = path.dirname(require.resolve(name))
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (manifest.name === name && manifest.version) return manifest.version
    } catch {
      // No package.json at this level.
    }
    const parent = path.dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}
