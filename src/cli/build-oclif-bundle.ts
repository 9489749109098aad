/**
 * Build step (run by `npm run build` after tsc; not part of the product at run time):
 *
 * - `node dist/src/cli/build-oclif-bundle.js` bundles `src/cli/oclif.ts` and the oclif modules it
 *   takes into `dist/src/cli/oclif-bundle.cjs` with esbuild, and replaces tsc's
 *   `dist/src/cli/oclif.js` with a module that loads that bundle through `load-oclif-bundle.ts`
 *   (same exports, taken from tsc's output, so the two cannot drift).
 * - `node dist/src/cli/build-oclif-bundle.js --code-cache` (after `oclif manifest`) runs two
 *   commands as a user would, with the loader told to save V8's code cache of the bundle
 *   (`oclif-bundle.v8cache`). They double as a check of the built binary: the build fails if either
 *   ends differently.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {CODE_CACHE_WRITE_ENV} from './load-oclif-bundle.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../../..')
const bundleFile = path.join(here, 'oclif-bundle.cjs')
const cacheFile = path.join(here, 'oclif-bundle.v8cache')
const entryFile = path.join(here, 'oclif.js')

async function bundle(): Promise<void> {
  const {build} = await import('esbuild')
  const exported = Object.keys(await import(pathToFileURL(entryFile).href)).sort()
  const result = await build({
    bundle: true,
    entryPoints: [path.join(root, 'src/cli/oclif.ts')],
    // oclif asks for these only when it runs TypeScript sources in development.
    external: ['typescript', 'ts-node'],
    format: 'cjs',
    logLevel: 'warning',
    platform: 'node',
    target: 'node20',
    write: false,
  })
  const source = result.outputFiles[0].text
  // The loader runs the bundle as a vm script, which has no import() of its own on Node 20 once a
  // code cache is given; oclif's few dynamic imports (command files, tsx, ESM hooks) go through
  // the function the loader passes in.
  const dynamicImports = source.match(/\bawait import\(/g)?.length ?? 0
  const patched = source.replaceAll(/\bawait import\(/g, 'await __import(')
  // Any other `import(` left (quoted, spaced, templated) would fail at a user's prompt; `import()` in a message is text.
  if (dynamicImports === 0 || /(?<![\w$.])import\s*\((?!\))/.test(patched)) {
    throw new Error(`oclif bundle: expected its dynamic imports as "await import(", found ${dynamicImports} and others; check src/cli/build-oclif-bundle.ts against this oclif version`)
  }

  writeFileSync(bundleFile, patched)
  rmSync(cacheFile, {force: true})
  writeFileSync(entryFile, [
    '// Written by `npm run build` (src/cli/build-oclif-bundle.ts): oclif from one bundled file, with V8\'s code cache.',
    "import {loadOclifBundle} from './load-oclif-bundle.js'",
    `export const {${exported.join(', ')}} = loadOclifBundle(new URL('./oclif-bundle.cjs', import.meta.url), new URL('./oclif-bundle.v8cache', import.meta.url))`,
    '',
  ].join('\n'))
}

function codeCache(): void {
  const runs: Array<{args: string[]; status: number}> = [
    // Nothing listens on port 9 here: the client's path through parsing, the request and its error (exit 4).
    {args: ['execution', 'list', '--json'], status: 4},
    {args: ['execution', 'list', '--help'], status: 0},
  ]
  rmSync(cacheFile, {force: true})
  for (const {args, status} of runs) {
    const result = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
      encoding: 'utf8',
      env: {...process.env, [CODE_CACHE_WRITE_ENV]: '1', FACTFLOW_HEADERS: '', FACTFLOW_SERVER_URL: 'http://127.0.0.1:9'},
    })
    if (result.status !== status) {
      throw new Error(`factflow ${args.join(' ')} exited ${result.status} (expected ${status}) while building the code cache:\n${result.stderr}`)
    }
  }
  if (!existsSync(cacheFile)) throw new Error(`the code cache was not written to ${cacheFile}`)
}

if (process.argv.includes('--code-cache')) codeCache()
else await bundle()
