import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/cli.js'

const run = promisify(execFile)

/**
 * In a fresh node (built code): `tuneProcessForInlineRun` as `factflow run` calls it, then a hot
 * WebAssembly function; answers whether V8 has tiered it up to TurboFan (polled for up to 5 s).
 */
async function tiersUp(env: Record<string, string>): Promise<{turbofan: boolean; liftoff: boolean}> {
  const script = `
    const {tuneProcessForInlineRun} = await import(${JSON.stringify(`${PROJECT_ROOT}/dist/src/runtime/process-tuning.js`)})
    tuneProcessForInlineRun()
    // (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,32,0,65,1,106,11])
    const {f} = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports
    const deadline = Date.now() + 5000
    while (!%IsTurboFanFunction(f) && Date.now() < deadline) {
      for (let i = 0; i < 1e6; i++) f(i)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    console.log(JSON.stringify({turbofan: %IsTurboFanFunction(f), liftoff: %IsLiftoffFunction(f)}))`
  const {stdout} = await run(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {env: {...process.env, ...env}})
  return JSON.parse(stdout)
}

/**
 * In a fresh node (built code), with or without `tuneProcessForInlineRun`: how many calls of a
 * small loop it takes before V8 runs it as TurboFan code. Optimisation runs on the main thread
 * (`--no-concurrent-recompilation`), so the count does not depend on how busy the machine is: on a
 * loaded CI machine a background compile could finish after any number of further calls.
 */
async function callsToTurboFan(tuned: boolean): Promise<number> {
  const script = `
    if (${tuned}) (await import(${JSON.stringify(`${PROJECT_ROOT}/dist/src/runtime/process-tuning.js`)})).tuneProcessForInlineRun()
    function work(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * 7) % 13; return s }
    let calls = 0
    while (!%ActiveTierIsTurbofan(work) && calls < 200000) {
      for (let i = 0; i < 100; i++) work(20)
      calls += 100
      await new Promise((resolve) => setImmediate(resolve))
    }
    console.log(calls)`
  const {stdout} = await run(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script])
  return Number(stdout.trim())
}

describe('factflow run optimises JavaScript later', () => {
  it('a warm function reaches TurboFan after more calls than with V8\'s defaults', async () => {
    const [defaults, tuned] = [await callsToTurboFan(false), await callsToTurboFan(true)]
    expect(defaults).toBeLessThan(200_000)
    // A budget 6x V8's default: measured here 200 calls against 700 (the first calls also warm up).
    expect(tuned).toBeGreaterThanOrEqual(3 * defaults)
  }, 30_000)
})

describe('factflow run keeps WebAssembly (the embedded database) on V8\'s baseline compiler', () => {
  it('a hot function tiers up with FACTFLOW_WASM_TIER_UP=1 (the workload is hot enough), and stays on Liftoff by default', async () => {
    expect(await tiersUp({FACTFLOW_WASM_TIER_UP: '1'})).toEqual({turbofan: true, liftoff: false})
    expect(await tiersUp({FACTFLOW_WASM_TIER_UP: ''})).toEqual({turbofan: false, liftoff: true})
  }, 30_000)

  it('factflow run applies it (and FACTFLOW_WASM_TIER_UP=1 leaves tiering on), as its debug log says', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'factflow-tuned-'))
    try {
      await mkdir(path.join(cwd, 'docs'))
      await writeFile(path.join(cwd, 'docs', 'a.md'), '# A\n')
      const args = ['run', path.join(PROJECT_ROOT, 'config/pipelines/local-folder-to-storage.yaml'), '--json', '--set', 'path=./docs', '--database', 'memory://']
      const tuned = (stderr: string) => JSON.parse(stderr.split('\n').find((line) => line.includes('"msg":"process tuned"')) ?? '{}').v8_flags as string[] | undefined
      const liftoff = await runCli(args, {cwd, env: {FACTFLOW_LOG_LEVEL: 'debug', FACTFLOW_WASM_TIER_UP: ''}})
      expect(liftoff.code, liftoff.stderr).toBe(0)
      expect(tuned(liftoff.stderr)).toEqual(['--heap-growing-percent=30', '--interrupt-budget=400000', '--liftoff-only'])
      const tiering = await runCli(args, {cwd, env: {FACTFLOW_LOG_LEVEL: 'debug', FACTFLOW_WASM_TIER_UP: '1'}})
      expect(tiering.code, tiering.stderr).toBe(0)
      expect(tuned(tiering.stderr)).toEqual(['--heap-growing-percent=30', '--interrupt-budget=400000'])
    } finally {
      await rm(cwd, {recursive: true, force: true})
    }
  }, 60_000)
})
