import {defineCpuTask} from '../../cpu/cpu-task.js'
import {ExternalError, UserInputError} from '../../errors/index.js'

/** Throws what the `fail` adapter throws, from wherever the CPU pool runs it. */
export function injectFailure(input: {retryable: boolean; message: string}): never {
  if (input.retryable) throw new ExternalError('INJECTED_FAILURE', input.message, {retryable: true})
  throw new UserInputError('INJECTED_FAILURE', input.message, {details: {thread: 'cpu-task'}})
}

/** Keeps its thread busy for `ms` (no awaits: only terminating the thread stops it early). */
export function busyWait(input: {ms: number}): number {
  const until = Date.now() + input.ms
  let spins = 0
  while (Date.now() < until) spins++
  return spins
}

export const injectFailureTask = defineCpuTask<{retryable: boolean; message: string}, never>(import.meta.url, 'injectFailure')
export const busyWaitTask = defineCpuTask<{ms: number}, number>(import.meta.url, 'busyWait')
