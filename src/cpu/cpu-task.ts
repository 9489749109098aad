/**
 * A pure, CPU-bound function that may run on another thread: the named export `name` of the ES
 * module at `module` (a file URL), taking and returning structured-cloneable values. It may be
 * async; it must not rely on state of the calling thread (each worker thread imports the module
 * on its own).
 */
export interface CpuTask<I, O> {
  readonly module: string
  readonly name: string
  /** Phantom types: what `run` takes and gives. */
  readonly _types?: (input: I) => O
}

/** Declares a task: `defineCpuTask<In, Out>(import.meta.url, 'exportName')` in the task's own module. */
export function defineCpuTask<I, O>(module: string, name: string): CpuTask<I, O> {
  return {module, name}
}

export interface CpuRunOptions {
  /** Aborting drops a queued task and stops a running one (its thread is replaced). */
  signal?: AbortSignal
}

/**
 * Where CPU-heavy pure work runs: a pool of worker threads, or this thread. Errors thrown by a
 * task reach the caller with the class, `code`, `hint`, `retryable` and `details` they were thrown
 * with, wherever it ran; an aborted run rejects with an `AbortError`.
 */
export interface CpuPool {
  /** Worker threads the pool may use; 0 when every task runs on the calling thread. */
  readonly threads: number
  run<I, O>(task: CpuTask<I, O>, input: I, options?: CpuRunOptions): Promise<O>
  /** Stops the threads (running tasks are abandoned); later runs start them again. */
  close(): Promise<void>
}
