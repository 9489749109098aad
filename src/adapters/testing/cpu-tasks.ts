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

/** Allocates `objects` short-lived objects, then answers the size of its thread's new space in MB. */
export async function newSpaceAfterChurn(input: {objects: number}): Promise<number> {
  const {getHeapSpaceStatistics} = await import('node:v8')
  let keep: Array<{index: number; text: string}> = []
  for (let index = 0; index < input.objects; index++) {
    keep.push({index, text: `x${index}`})
    if (keep.length > 200_000) keep = []
  }
  const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space')
  return (space?.space_size ?? Number.NaN) / 1_048_576
}

export const newSpaceAfterChurnTask = defineCpuTask<{objects: number}, number>(import.meta.url, 'newSpaceAfterChurn')
