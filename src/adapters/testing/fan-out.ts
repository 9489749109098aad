import type {z} from 'zod'

import type {Adapter, AdapterOutput} from '../types.js'
import type {fanOutConfig} from './catalog.js'

export function createAdapter(config: z.output<typeof fanOutConfig>): Adapter {
  return {
    async process({payload}) {
      const out: AdapterOutput[] = []
      for (let i = 0; i < config.count; i++) out.push({payload: {...payload, [config.field]: i}})
      return out
    },
  }
}
