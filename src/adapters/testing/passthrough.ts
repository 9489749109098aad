import type {z} from 'zod'

import type {Adapter} from '../types.js'
import type {passthroughConfig} from './catalog.js'

export function createAdapter(config: z.output<typeof passthroughConfig>): Adapter {
  return {
    async process({payload}) {
      return {payload: config.set ? {...payload, ...config.set} : {...payload}}
    },
  }
}
