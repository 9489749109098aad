import type {z} from '@hono/zod-openapi'

import {executionSchema} from '../../src/api/schemas.js'
import type {ExecutionView} from '../../src/services/execution-service.js'
import {serialise} from './common.js'

export {executionSchema}

/** An execution as JSON: dates as ISO strings. */
export function toExecutionJson(view: ExecutionView): z.infer<typeof executionSchema> {
  return serialise(view) as unknown as z.infer<typeof executionSchema>
}
