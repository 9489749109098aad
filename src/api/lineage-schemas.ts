import {z} from '@hono/zod-openapi'

import {anyObject} from './schemas.js'

/**
 * Lineage resources of the HTTP API (docs/reference/server.md, "lineage"), shared by the server routes and
 * (as types) the thin client, like `schemas.ts`.
 */

export const stageStatusSchema = z.enum(['pending', 'processing', 'completed', 'failed', 'cancelled', 'skipped'])

export const lineageRowSchema = z.object({
  id: z.string(), correlation_id: z.string(), message_id: z.string(), parent_id: z.string().nullable(), execution_id: z.string(),
  route_id: z.string(), adapter_name: z.string(), adapter_index: z.number(), stage_name: z.string(), stage_status: stageStatusSchema,
  stage_input_hash: z.string().nullable(), started_at: z.string(), completed_at: z.string().nullable(), duration_ms: z.number().nullable(),
  metadata: anyObject.nullable(), error_info: anyObject.nullable(), replay_batch_id: z.string().nullable(),
}).openapi('LineageRow')
export const lineageChainRowSchema = lineageRowSchema.extend({depth: z.number()})

export const lineagePageSchema = z.object({
  lineage: z.array(lineageRowSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean(),
}).openapi('LineagePage')

export const lineageStatsSchema = z.object({
  execution_id: z.string(),
  stages: z.array(z.object({
    route_id: z.string(), adapter_name: z.string(), adapter_index: z.number(), count: z.number(), completed: z.number(),
    failed: z.number(), skipped: z.number(), avg_duration_ms: z.number().nullable(), p95_duration_ms: z.number().nullable(),
  })),
  totals: z.object({count: z.number(), completed: z.number(), failed: z.number(), skipped: z.number()}),
}).openapi('LineageStats')

export const lineageChainSchema = z.object({
  row: lineageRowSchema, ancestors: z.array(lineageChainRowSchema), siblings: z.array(lineageRowSchema), descendants: z.array(lineageChainRowSchema),
}).openapi('LineageChain')

export const lineageChildrenSchema = z.object({id: z.string(), message_id: z.string(), children: z.array(lineageRowSchema)})

export type LineageRowResource = z.infer<typeof lineageRowSchema>
export type LineageChainRowResource = z.infer<typeof lineageChainRowSchema>
export type LineagePage = z.infer<typeof lineagePageSchema>
export type LineageStatsResource = z.infer<typeof lineageStatsSchema>
export type LineageChainResource = z.infer<typeof lineageChainSchema>
export type LineageChildren = z.infer<typeof lineageChildrenSchema>
