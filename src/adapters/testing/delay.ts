import {setTimeout as sleep} from 'node:timers/promises'

import type {z} from 'zod'

import type {Adapter, AdapterResources} from '../types.js'
import type {delayConfig} from './catalog.js'
import {busyWaitTask} from './cpu-tasks.js'

export function createAdapter(config: z.output<typeof delayConfig>, resources: AdapterResources): Adapter {
  return {
    async process({payload, signal}) {
      if (config.busy) await resources.cpu.run(busyWaitTask, {ms: config.ms}, {signal})
      else await sleep(config.ms, undefined, {signal})
      return {payload: {...payload}}
    },
  }
}
