import {setTimeout as sleep} from 'node:timers/promises'

import type {z} from 'zod'

import type {Adapter} from '../types.js'
import type {delayConfig} from './catalog.js'

export function createAdapter(config: z.output<typeof delayConfig>): Adapter {
  return {
    async process({payload, signal}) {
      await sleep(config.ms, undefined, {signal})
      return {payload: {...payload}}
    },
  }
}
