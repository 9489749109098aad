import {createHash} from 'node:crypto'
import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

/**
 * What `npm run build` writes: `oclif-bundle.cjs` (oclif as one CommonJS file, its dynamic
 * `import()`s renamed to a function this loader passes in) and `oclif-bundle.v8cache` (V8's code
 * cache of that file, made by running commands once at build time). Node 20 has no compile cache of
 * its own (`module.enableCompileCache` is Node 22), so the bundle is compiled here with `vm.Script`
 * and the cache handed to V8: a start skips compiling the ~110 modules' functions it runs
 * (docs/decisions.md, "client start-up: a V8 code cache for oclif's bundle").
 *
 * A cache V8 rejects (another Node version or V8 flags) or a missing one only costs the compile:
 * the bundle runs the same either way. V8 does not check the cache's bytes (a damaged cache crashes
 * the process), so the file starts with a SHA-1 of the bundle's source and the cache, checked first:
 * a cache that is not exactly what the build wrote for this bundle is never handed to V8.
 */
export const CODE_CACHE_WRITE_ENV = 'FACTFLOW_BUILD_CODE_CACHE'

/** What became of the code cache in this process (for tests and `bench/client.js`). */
export let codeCache: 'accepted' | 'missing' | 'rejected' = 'missing'

export function loadOclifBundle<T>(bundle: URL, cache: URL): T {
  const file = fileURLToPath(bundle)
  const cacheFile = fileURLToPath(cache)
  const source = readFileSync(file)
  const cachedData = checkedCache(source, cacheFile)
  // One line, like Node's own CommonJS wrapper, so the bundle's line numbers stay its own.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __import) {${source.toString('utf8')}\n})`
  const script = new vm.Script(wrapped, {cachedData, filename: file})
  if (cachedData) codeCache = script.cachedDataRejected ? 'rejected' : 'accepted'
  const module = {exports: {} as T}
  // vm scripts get no dynamic import() on Node 20 once a code cache is used; the bundle calls this instead.
  const dynamicImport = (specifier: string) => import(specifier)
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), dynamicImport)
  // Build time only: keep what this process compiled (with what the cache already held).
  if (process.env[CODE_CACHE_WRITE_ENV] === '1') {
    process.once('exit', () => {
      const data = script.createCachedData()
      const temporary = `${cacheFile}.${process.pid}.tmp`
      try {
        writeFileSync(temporary, Buffer.concat([digest(source, data), data]))
        renameSync(temporary, cacheFile)
      } catch (error) {
        // The build checks that the cache exists; a command must not fail on its way out for it.
        process.stderr.write(`factflow: the code cache could not be saved: ${String(error)}\n`)
      }
    })
  }
  return module.exports
}

const DIGEST_BYTES = 20

function digest(source: Buffer, data: Buffer): Buffer {
  return createHash('sha1').update(source).update(data).digest()
}

function checkedCache(source: Buffer, cacheFile: string): Buffer | undefined {
  let file: Buffer
  try {
    file = readFileSync(cacheFile)
  } catch {
    return undefined
  }
  const data = file.subarray(DIGEST_BYTES)
  if (file.length <= DIGEST_BYTES || !digest(source, data).equals(file.subarray(0, DIGEST_BYTES))) {
    codeCache = 'rejected'
    return undefined
  }
  return data
}
