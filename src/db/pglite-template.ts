import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'

/** What PGlite needs to start a data directory from a template, or to save one. */
export interface PgliteTemplatePlan {
  /** A `dumpDataDir('gzip')` tarball to start the new directory from (skips initdb). */
  load?: string
  /** Where to save that tarball after an initdb (best effort, atomically). */
  save?: string
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
 * 10 s on a busy one); starting it from a tarball of a freshly initialised one takes well under 2 s.
 * The first new directory saves that tarball in the cache; later ones load it. Keyed by the PGlite
 * and pgvector versions (a tarball from other versions is never used); it holds no migrations, so
 * schema changes never make it stale. Only for a directory with no database in it yet.
 */
export async function templatePlan(dataDir: string | undefined, cacheDir: string | undefined): Promise<PgliteTemplatePlan> {
  if (dataDir === undefined || cacheDir === undefined || existsSync(path.join(dataDir, 'PG_VERSION'))) return {}
  const file = path.join(cacheDir, `pglite-${await packageVersion('@electric-sql/pglite')}-pgvector-${await packageVersion('@electric-sql/pglite-pgvector')}.tar.gz`)
  return existsSync(file) ? {load: file} : {save: file}
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
