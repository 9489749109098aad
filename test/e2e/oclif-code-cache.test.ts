import {execFile} from 'node:child_process'
import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/cli.js'

const run = promisify(execFile)
const CLI_DIR = path.join(PROJECT_ROOT, 'dist/src/cli')

/** Loads the built oclif module in a plain node process; answers what became of the code cache and the exports. */
async function loadBuilt(cliDir: string): Promise<{codeCache: string; exports: string[]}> {
  const script = `
    const oclif = await import(${JSON.stringify(path.join(cliDir, 'oclif.js'))})
    const {codeCache} = await import(${JSON.stringify(path.join(cliDir, 'load-oclif-bundle.js'))})
    console.log(JSON.stringify({codeCache, exports: Object.keys(oclif).sort()}))`
  const {stdout} = await run(process.execPath, ['--input-type=module', '-e', script], {cwd: PROJECT_ROOT})
  return JSON.parse(stdout)
}

describe('oclif from its bundle with a V8 code cache (built binary)', () => {
  let copy: string
  beforeAll(async () => {
    copy = await mkdtemp(path.join(os.tmpdir(), 'factflow-oclif-cache-'))
  })
  afterAll(async () => {
    await rm(copy, {recursive: true, force: true})
  })

  it('the build leaves a cache that V8 accepts, and the same exports as the source module', async () => {
    const built = await loadBuilt(CLI_DIR)
    expect(built).toEqual({codeCache: 'accepted', exports: ['Args', 'Command', 'Flags', 'execute']})
  })

  it('commands that import other modules at run time still work with the cache in use (help, a client error)', async () => {
    const help = await runCli(['execution', 'list', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/USAGE\s+\$ factflow execution list/)
    const list = await runCli(['execution', 'list', '--json'], {env: {FACTFLOW_SERVER_URL: 'http://127.0.0.1:9'}})
    expect(list.code).toBe(4)
    expect(JSON.parse(list.stdout).error.code).toBeTruthy()
  })

  it('a damaged cache, or one made for another bundle, is never handed to V8 (it would crash); the bundle runs all the same, and without a cache too', async () => {
    await cp(CLI_DIR, copy, {recursive: true})
    const bundle = path.join(copy, 'oclif-bundle.cjs')
    const original = await readFile(bundle, 'utf8')
    await writeFile(bundle, `${original}\n// edited after the build\n`)
    expect(await loadBuilt(copy)).toEqual({codeCache: 'rejected', exports: ['Args', 'Command', 'Flags', 'execute']})
    await writeFile(bundle, original)
    expect((await loadBuilt(copy)).codeCache).toBe('accepted')
    const cache = await readFile(path.join(copy, 'oclif-bundle.v8cache'))
    cache.fill(0x5a, 64, 4096)
    await writeFile(path.join(copy, 'oclif-bundle.v8cache'), cache)
    expect(await loadBuilt(copy)).toEqual({codeCache: 'rejected', exports: ['Args', 'Command', 'Flags', 'execute']})
    await rm(path.join(copy, 'oclif-bundle.v8cache'))
    expect(await loadBuilt(copy)).toEqual({codeCache: 'missing', exports: ['Args', 'Command', 'Flags', 'execute']})
  })
})
