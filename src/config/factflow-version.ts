import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The version of the factflow package this code belongs to, read from its own package.json (found
 * by walking up from this file, which sits at a different depth under src/ and dist/src/);
 * `undefined` when no factflow package.json is above it. Reads the file on every call: callers
 * ask once per adapter, not per message.
 */
export function factflowVersion(): string | undefined {
  return findPackage()?.version
}

/** The factflow package's own folder (where its shipped `config/pipelines/` lives). */
export function factflowPackageDir(): string | undefined {
  return findPackage()?.dir
}

function findPackage(): {dir: string; version: string} | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (manifest.name === 'factflow' && manifest.version) return {dir, version: manifest.version}
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}
