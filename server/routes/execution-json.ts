import {z} from '@hono/zod-openapi'

import type {ExecutionView} from '../../src/services/execution-service.js'
import {anyObject, serialise} from './common.js'

export const executionSchema = z.object({
  id: z.string(), config_id: z.string().nullable(), config_name: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted']),
  tag: z.string().nullable(), parent_execution_id: z.string().nullable(), replay_source: anyObject.nullable(),
  metadata: anyObject, summary: anyObject.nullable(), error_info: anyObject.nullable(),
  created_at: z.string(), started_at: z.string().nullable(), completed_at: z.string().nullable(), created_by: z.string().nullable(),
  config_snapshot: anyObject.optional(), routes: z.record(z.string(), anyObject).optional(),
}).openapi('Execution')

/** An execution as JSON: dates as ISO strings. */
export function toExecutionJson(view: ExecutionView): z.infer<typeof executionSchema> {
  return serialise(view) as unknown as z.infer<typeof executionSchema>
}
