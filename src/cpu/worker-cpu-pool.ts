import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {Piscina} from 'piscina'

import {UserInputError} from '../errors/index.js'
import {reviveError} from '../errors/error-transport.js'
import type {Logger} from '../logging/logger.js'
import {WORKER_RESOURCE_LIMITS} from '../os/worker-heap.js'
import type {CpuPool, CpuRunOptions, CpuTask} from './cpu-task.js'
import type {CpuWorkerReply, CpuWorkerRequest} from './cpu-worker.js'
import {createInlineCpuPool} from './inline-cpu-pool.js'

/**
 * Worker threads of the CPU pool: `FACTFLOW_CPU_WORKERS` (0 runs every task on the main thread),
 * else one fewer than the cores (the main thread keeps one), at least 1 and at most 4.
 * @throws UserInputError `SETTINGS_INVALID` for a value that is not a whole number from 0 to 64.
 */
export function cpuWorkerCount(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const raw = env.FACTFLOW_CPU_WORKERS
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(4, cores - 1))
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0 || value > 64) {
    throw new UserInputError('SETTINGS_INVALID', `FACTFLOW_CPU_WORKERS must be a whole number from 0 to 64, got ${JSON.stringify(raw)}`, {
      hint: 'Unset it for the default (one worker thread per core beyond the first, at most 4), or set 0 to run CPU-heavy stages on the main thread.',
    })
  }
  return value
}

/**
 * The JavaScript file a worker thread can load for a module URL: the URL itself for a `.js` file;
 * for a TypeScript source (tests run from `src/`) its build under `dist/` when it exists. A worker
 * thread has no TypeScript loader; undefined means the module can only run in this thread.
 */
export function runnableModuleUrl(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined
  const file = fileURLToPath(url)
  if (file.endsWith('.js')) return existsSync(file) ? url : runnableModuleUrl(pathToFileURL(file.replace(/\.js$/, '.ts')).href)
  if (!file.endsWith('.ts')) return undefined
  const at = file.lastIndexOf('/src/')
  if (at < 0) return undefined
  const built = `${file.slice(0, at)}/dist${file.slice(at).replace(/\.ts$/, '.js')}`
  return existsSync(built) ? pathToFileURL(built).href : undefined
}

export interface WorkerCpuPoolOptions {
  /** Worker threads at most (see `cpuWorkerCount`). */
  threads: number
  logger?: Logger
  /** A thread with no task for this long ends (default 30 s); the next task starts one again. */
  idleTimeoutMs?: number
}

/**
 * A pool of worker threads (piscina) for CPU-bound pure tasks. Nothing starts until the first
 * task: piscina is imported and threads are created then, so commands and runs that never need it
 * pay nothing. A task whose module a worker cannot load (a TypeScript source without a build) runs
 * on this thread instead. Idle threads do not keep the process alive; `close` ends them.
 */
export function createWorkerCpuPool(options: WorkerCpuPoolOptions): CpuPool {
  const inline = createInlineCpuPool()
  if (options.threads <= 0) return inline
  const workerFile = runnableModuleUrl(new URL('./cpu-worker.js', import.meta.url).href)
  let piscina: Promise<Piscina<CpuWorkerRequest, CpuWorkerReply>> | undefined
  const start = () => piscina ??= import('piscina').then(({Piscina}) => new Piscina<CpuWorkerRequest, CpuWorkerReply>({
    filename: workerFile!, name: 'default', minThreads: 0, maxThreads: options.threads,
    idleTimeout: options.idleTimeoutMs ?? 30_000, concurrentTasksPerWorker: 1, resourceLimits: WORKER_RESOURCE_LIMITS,
  }))
  const resolved = new Map<string, string | undefined>()
  const runnable = (module: string) => {
    if (!resolved.has(module)) resolved.set(module, runnableModuleUrl(module))
    return resolved.get(module)
  }
  let warned = false
  return {
    threads: options.threads,
    async run<I, O>(task: CpuTask<I, O>, input: I, runOptions: CpuRunOptions = {}): Promise<O> {
      const module = runnable(task.module)
      if (workerFile === undefined || module === undefined) {
        if (!warned) options.logger?.debug({module: task.module}, 'CPU task runs on the main thread: no JavaScript build of it')
        warned = true
        return inline.run(task, input, runOptions)
      }
      runOptions.signal?.throwIfAborted()
      const pool = await start()
      const reply = await pool.run({task: {module, name: task.name}, input}, {signal: runOptions.signal})
      if (!reply.ok) throw reviveError(reply.error)
      return reply.value as O
    },
    async close() {
      const pool = piscina
      piscina = undefined
      if (pool !== undefined) await (await pool).destroy()
    },
  }
}
