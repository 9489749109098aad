import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * `factflow/<version>`, the version read from the package's own package.json (found by walking up
 * from this file, which sits at a different depth under src/ and dist/src/).
 */
export function defaultUserAgent(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (manifest.name === 'factflow' && manifest.version) return `factflow/${manifest.version}`
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = path.dirname(dir)
    if (parent === dir) return 'factflow'
    dir = parent
  }
}
