// The program of a CPU pool's worker thread (piscina loads it and calls the default export per
// task). Errors are returned as data, not thrown: piscina would hand the caller a structured clone
// that has lost the error's class and fields.
import {serializeError, type SerializedError} from '../errors/error-transport.js'
import type {CpuTask} from './cpu-task.js'
import {taskFunction} from './inline-cpu-pool.js'

export interface CpuWorkerRequest {
  task: CpuTask<unknown, unknown>
  input: unknown
}

export type CpuWorkerReply = {ok: true; value: unknown} | {ok: false; error: SerializedError}

export default async function runCpuTask({task, input}: CpuWorkerRequest): Promise<CpuWorkerReply> {
  try {
    const fn = await taskFunction(task)
    return {ok: true, value: await fn(input)}
  } catch (error) {
    return {ok: false, error: serializeError(error)}
  }
}
