import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {busyWaitTask, injectFailureTask, newSpaceAfterChurnTask} from '../../src/adapters/testing/cpu-tasks.js'
import type {CpuPool} from '../../src/cpu/cpu-task.js'
import {createInlineCpuPool} from '../../src/cpu/inline-cpu-pool.js'
import {cpuWorkerCount, createWorkerCpuPool, runnableModuleUrl} from '../../src/cpu/worker-cpu-pool.js'
import {errorInfo, isAbortError} from '../../src/engine/classify-error.js'
import {isFactflowError, UserInputError} from '../../src/errors/index.js'
import {createHarness, pipeline} from '../helpers/engine-harness.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FAST_RETRY = {max_retries: 2, retry_delay_seconds: 0.01, backoff: 'fixed' as const, dead_letter_queue: '/queue/dlq'}

// Worker threads load JavaScript: the tasks run from dist/ (`npm run build`, which `npm test` does first).
const built = runnableModuleUrl(injectFailureTask.module) !== undefined
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: run `npm run build` before the CPU pool tests')

describe.skipIf(!built)('the worker CPU pool', () => {
  let pool: CpuPool
  beforeAll(() => {
    pool = createWorkerCpuPool({threads: 1})
  })
  afterAll(async () => {
    await pool.close()
  })

  it('runs tasks on another thread and hands back their results', async () => {
    expect(pool.threads).toBe(1)
    expect(await pool.run(busyWaitTask, {ms: 1})).toBeGreaterThan(0)
  })

  it('runs its threads with a small young generation (4 MB of new space, not V8\'s 32 MB) however much they allocate', async () => {
    expect(await pool.run(newSpaceAfterChurnTask, {objects: 2_000_000})).toBeLessThanOrEqual(4)
    // The same churn on this thread (V8's default) grows its new space past that: the churn is enough to tell.
    expect(await createInlineCpuPool().run(newSpaceAfterChurnTask, {objects: 2_000_000})).toBeGreaterThan(4)
  })

  it('rebuilds an error thrown in a worker with its class, code, hint, retryable and details', async () => {
    const error = await pool.run(injectFailureTask, {retryable: false, message: 'bad input'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserInputError)
    const inline = await createInlineCpuPool().run(injectFailureTask, {retryable: false, message: 'bad input'}).catch((e: unknown) => e)
    expect(isFactflowError(error) && isFactflowError(inline)).toBe(true)
    if (!isFactflowError(error) || !isFactflowError(inline)) return
    expect({code: error.code, kind: error.kind, hint: error.hint, retryable: error.retryable, details: error.details, exit: error.exitCode})
      .toEqual({code: inline.code, kind: inline.kind, hint: inline.hint, retryable: inline.retryable, details: inline.details, exit: inline.exitCode})
    const {stack: _a, ...worker} = errorInfo(error)
    const {stack: _b, ...main} = errorInfo(inline)
    expect(worker).toEqual(main)
  })

  it('classifies a stage throwing in a worker exactly like one throwing on the main thread', async () => {
    const outcome = async (inWorker: boolean, retryable: boolean) => {
      const harness = await createHarness(pipeline({
        version: '1.0', error_handling: FAST_RETRY,
        routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'fail', config: {retryable, in_worker: inWorker, message: 'boom'}}]}},
        init_message: {route: 'a', payload: {}},
      }), {cpu: pool})
      try {
        await harness.orchestrator.start()
        const result = await harness.orchestrator.result
        const dead = result.dead_letters[0]!
        const failed = harness.rows.filter((row) => row.stage_status === 'failed')
        return {
          status: result.status, route: result.routes.a, attempts: dead.attempts,
          error: {...dead.error, stack: undefined}, lineage: failed.map((row) => ({...row.error_info, stack: undefined})),
        }
      } finally {
        await harness.cleanup()
      }
    }
    for (const retryable of [true, false]) {
      const main = await outcome(false, retryable)
      const worker = await outcome(true, retryable)
      expect(worker).toEqual(main)
      expect(worker.attempts).toBe(retryable ? 3 : 1)
    }
  })

  it('stops a running task when its signal aborts, and the next task does not wait for it', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const running = pool.run(busyWaitTask, {ms: 20_000}, {signal: controller.signal}).catch((e: unknown) => e)
    setTimeout(() => controller.abort(), 200)
    expect(isAbortError(await running)).toBe(true)
    // One thread: had the busy task kept running, this would wait ~20 s for it.
    expect(await pool.run(busyWaitTask, {ms: 1})).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(8_000)
  })

  it('stops worker work when the execution is cancelled', async () => {
    const harness = await createHarness(pipeline({
      version: '1.0', error_handling: FAST_RETRY,
      routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'delay', config: {ms: 30_000, busy: true}}]}},
      init_message: {route: 'a', payload: {}},
    }), {cpu: pool})
    try {
      const started = Date.now()
      await harness.orchestrator.start()
      await new Promise((resolve) => setTimeout(resolve, 300))
      const result = await harness.orchestrator.cancel()
      expect(result.status).toBe('cancelled')
      expect(await pool.run(busyWaitTask, {ms: 1})).toBeGreaterThan(0)
      expect(Date.now() - started).toBeLessThan(10_000)
    } finally {
      await harness.cleanup()
    }
  })

  it('lets the process exit once its work is done, with or without close()', async () => {
    const module = pathToFileURL(path.join(ROOT, 'dist/src/cpu/worker-cpu-pool.js')).href
    const task = pathToFileURL(path.join(ROOT, 'dist/src/adapters/testing/cpu-tasks.js')).href
    for (const close of [false, true]) {
      const script = `
        const {createWorkerCpuPool} = await import(${JSON.stringify(module)})
        const {busyWaitTask} = await import(${JSON.stringify(task)})
        const pool = createWorkerCpuPool({threads: 2})
        await Promise.all([pool.run(busyWaitTask, {ms: 5}), pool.run(busyWaitTask, {ms: 5})])
        ${close ? 'await pool.close()' : ''}
        process.stdout.write('done')`
      const started = Date.now()
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']})
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        child.on('close', (exitCode) => {
          clearTimeout(timer)
          resolve(exitCode)
        })
      })
      expect({code, out}).toEqual({code: 0, out: 'done'})
      expect(Date.now() - started).toBeLessThan(10_000)
    }
  })
})

describe('cpuWorkerCount', () => {
  it('defaults to one thread per core beyond the first, at least 1 and at most 4; 0 turns workers off', () => {
    expect(cpuWorkerCount({}, 2)).toBe(1)
    expect(cpuWorkerCount({}, 1)).toBe(1)
    expect(cpuWorkerCount({}, 16)).toBe(4)
    expect(cpuWorkerCount({FACTFLOW_CPU_WORKERS: '0'}, 8)).toBe(0)
    expect(() => cpuWorkerCount({FACTFLOW_CPU_WORKERS: 'many'}, 8)).toThrow(/FACTFLOW_CPU_WORKERS/)
  })

  it('runs every task on the calling thread with 0 threads', async () => {
    const pool = createWorkerCpuPool({threads: 0})
    expect(pool.threads).toBe(0)
    expect(await pool.run(busyWaitTask, {ms: 1})).toBeGreaterThan(0)
  })
})
