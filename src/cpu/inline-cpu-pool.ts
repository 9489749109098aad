import type {CpuPool, CpuRunOptions, CpuTask} from './cpu-task.js'

type TaskModule = Record<string, (input: unknown) => unknown>

/** Imports a task's module (cached by the module system) and returns its function. */
export async function taskFunction(task: CpuTask<unknown, unknown>): Promise<(input: unknown) => unknown> {
  const module = (await import(task.module)) as TaskModule
  const fn = module[task.name]
  if (typeof fn !== 'function') throw new TypeError(`CPU task ${task.name} is not exported by ${task.module}`)
  return fn
}

/** Runs every task on the calling thread (no worker threads: `FACTFLOW_CPU_WORKERS=0`, tests, benches). */
export function createInlineCpuPool(): CpuPool {
  return {
    threads: 0,
    async run<I, O>(task: CpuTask<I, O>, input: I, options: CpuRunOptions = {}): Promise<O> {
      options.signal?.throwIfAborted()
      const fn = await taskFunction(task as CpuTask<unknown, unknown>)
      return (await fn(input)) as O
    },
    close: async () => undefined,
  }
}
