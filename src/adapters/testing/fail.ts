import type {z} from 'zod'

import {ExternalError, UserInputError} from '../../errors/index.js'
import type {Adapter} from '../types.js'
import type {failConfig} from './catalog.js'

export function createAdapter(config: z.output<typeof failConfig>): Adapter {
  const fail = (): never => {
    if (config.retryable) throw new ExternalError('INJECTED_FAILURE', config.message, {retryable: true})
    throw new UserInputError('INJECTED_FAILURE', config.message)
  }
  let calls = 0
  return {
    async process({payload, message}) {
      calls++
      switch (config.mode) {
        case 'first_calls': if (calls <= config.calls) fail(); break
        case 'always': return fail()
        case 'first_attempts': if (message.attempt <= config.attempts) fail(); break
        case 'when_field': if (config.field && payload[config.field]) fail(); break
      }
      return {payload: {...payload}}
    },
  }
}
