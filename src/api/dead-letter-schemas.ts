import {z} from '@hono/zod-openapi'

import {anyObject} from './schemas.js'

/**
 * Dead-letter resources of the HTTP API (docs/reference/server.md, "dlq"), shared by the server routes and
 * (as types) the thin client, like `schemas.ts`.
 */

export const deadLetterSchema = z.object({
  id: z.string(), execution_id: z.string(), route_id: z.string(),
  stage: z.string().nullable().openapi({description: 'The stage (adapter id) that failed'}),
  message: anyObject.openapi({description: 'The whole envelope as it was consumed (payload, metadata, ids)'}),
  error_info: anyObject.nullable(), attempts: z.number(), created_at: z.string(), redriven_at: z.string().nullable(),
}).openapi('DeadLetter')

export const deadLetterPageSchema = z.object({
  dead_letters: z.array(deadLetterSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean(),
}).openapi('DeadLetterPage')

export const redriveResultSchema = z.object({
  execution_id: z.string(), redriven: z.number(), dead_letter_ids: z.array(z.string()),
  mode: z.enum(['running', 'restarted', 'none']).openapi({description: 'running: taken by the running execution; restarted: the ended execution runs again; none: nothing to redrive'}),
}).openapi('RedriveResult')

export type DeadLetterResource = z.infer<typeof deadLetterSchema>
export type DeadLetterPage = z.infer<typeof deadLetterPageSchema>
export type RedriveResultResource = z.infer<typeof redriveResultSchema>
