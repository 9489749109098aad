import type {z} from 'zod'

import {ExternalError, UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {failConfig} from './catalog.js'
import {injectFailureTask} from './cpu-tasks.js'

export function createAdapter(config: z.output<typeof failConfig>, resources: AdapterResources): Adapter {
  const fail = async (signal: AbortSignal): Promise<never> => {
    if (config.in_worker) return resources.cpu.run(injectFailureTask, {retryable: config.retryable, message: config.message}, {signal})
    if (config.retryable) throw new ExternalError('INJECTED_FAILURE', config.message, {retryable: true})
    throw new UserInputError('INJECTED_FAILURE', config.message)
  }
  let calls = 0
  return {
    async process({payload, message, signal}) {
      calls++
      switch (config.mode) {
        case 'first_calls': if (calls <= config.calls) await fail(signal); break
        case 'always': return fail(signal)
        case 'first_attempts': if (message.attempt <= config.attempts) await fail(signal); break
        case 'when_field': if (config.field && payload[config.field]) await fail(signal); break
      }
      return {payload: {...payload}}
    },
  }
}
