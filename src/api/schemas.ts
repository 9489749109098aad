import {z} from '@hono/zod-openapi'

/**
 * The resources of the HTTP API (docs/reference/server.md) as zod schemas: the server validates and documents
 * with them (`/openapi.json`), the thin client (`src/client/`) types what it reads from them
 * (`import type` only, so a client command loads no zod at run time).
 */

export const API_PREFIX = '/api/v1'

/** Any JSON object (free-form parts of a resource). */
export const anyObject = z.record(z.string(), z.unknown())

export const errorSchema = z.object({
  detail: z.union([z.string(), z.array(z.object({loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string()}))]),
  error_code: z.string(),
  correlation_id: z.string(),
  timestamp: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
}).openapi('Error')

export const executionStatusSchema = z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted'])

export const executionSchema = z.object({
  id: z.string(), config_id: z.string().nullable(), config_name: z.string(),
  status: executionStatusSchema,
  tag: z.string().nullable(), parent_execution_id: z.string().nullable(), replay_source: anyObject.nullable(),
  metadata: anyObject, summary: anyObject.nullable(), error_info: anyObject.nullable(),
  created_at: z.string(), started_at: z.string().nullable(), completed_at: z.string().nullable(), created_by: z.string().nullable(),
  config_snapshot: anyObject.optional(), routes: z.record(z.string(), anyObject).optional(),
}).openapi('Execution')

export const executionListSchema = z.object({executions: z.array(executionSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})

/** `POST /executions/{id}/replay`: replay a stage's artefacts of an ended execution into a new execution of the same pipeline. */
export const replayExecutionBodySchema = z.object({
  from_stage: z.string().min(1).max(200).openapi({description: 'The stage (adapter id, or type when it has none) whose stored artefacts are replayed'}),
  to_route: z.string().min(1).max(200).optional().openapi({description: 'Default: the route that reads the outbound queue of the stage\'s route, from the parent\'s snapshot'}),
  config_id: z.string().uuid().optional().openapi({description: 'Run the replay with this stored config instead of the parent\'s snapshot'}),
  tag: z.string().min(1).max(200).optional(),
}).strict().openapi('ReplayRequest')

/** `POST /replay` (detached). */
export const detachedReplayBodySchema = z.object({
  from_execution_id: z.string().min(1).max(200).openapi({description: 'Execution id or tag'}),
  from_stage: z.string().min(1).max(200),
  from_path: z.string().min(1).max(1000).optional().openapi({description: 'Only artefacts whose key below the stage\'s folder starts with this'}),
  to_route: z.string().min(1).max(200),
  config_id: z.string().uuid().optional(),
}).strict().openapi('DetachedReplayRequest')

/** What a replay did (also the new execution's `replay_source`). */
export const replayResultSchema = z.object({
  replay_batch_id: z.string(), execution_id: z.string(), from_execution_id: z.string(), from_stage: z.string(), from_path: z.string().nullable(),
  from_routes: z.array(z.string()), to_route: z.string(), config_id: z.string().nullable(), mode: z.enum(['execution', 'detached']),
  found: z.number(), published: z.number(), failed: z.number(),
}).openapi('ReplayResult')

export const replayListSchema = z.object({replays: z.array(executionSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})

export const dagSchema = z.object({
  nodes: z.array(z.object({route_id: z.string(), name: z.string(), adapters: z.array(z.string())})),
  edges: z.array(z.object({from_route: z.string(), to_route: z.string(), queue: z.string()})),
}).openapi('Dag')

const validationIssue = z.object({
  severity: z.string(), code: z.string(), path: z.string(), line: z.number().nullable(), column: z.number().nullable(),
  message: z.string(), suggestion: z.string().nullable(),
})
export const validationReportSchema = z.object({is_valid: z.boolean(), error_count: z.number(), warning_count: z.number(), issues: z.array(validationIssue)}).openapi('ValidationReport')

const configFields = {
  id: z.string(), name: z.string(), description: z.string().nullable(), is_active: z.boolean(), version: z.number(),
  config_hash: z.string(), created_by: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
}
export const configSchema = z.object({...configFields, config_yaml: z.string(), validation_report: validationReportSchema, is_runnable: z.boolean()}).openapi('Config')
export const configListItemSchema = z.object({...configFields, validation_report: validationReportSchema.nullable()})
export const configListSchema = z.object({configs: z.array(configListItemSchema), total: z.number(), limit: z.number(), offset: z.number(), has_more: z.boolean()})

const componentHealth = z.object({status: z.enum(['healthy', 'degraded', 'unhealthy']), detail: z.string().optional(), latency_ms: z.number().optional()})
export const healthSchema = z.object({status: z.enum(['healthy', 'degraded', 'unhealthy']), components: z.record(z.string(), componentHealth), version: z.string()}).openapi('Health')

export type ApiError = z.infer<typeof errorSchema>
export type Execution = z.infer<typeof executionSchema>
export type ExecutionStatus = z.infer<typeof executionStatusSchema>
export type ExecutionList = z.infer<typeof executionListSchema>
export type Dag = z.infer<typeof dagSchema>
export type ReplayExecutionBody = z.infer<typeof replayExecutionBodySchema>
export type DetachedReplayBody = z.infer<typeof detachedReplayBodySchema>
export type ReplayResult = z.infer<typeof replayResultSchema>
export type ReplayList = z.infer<typeof replayListSchema>
export type Config = z.infer<typeof configSchema>
export type ConfigList = z.infer<typeof configListSchema>
export type ValidationReport = z.infer<typeof validationReportSchema>
export type Health = z.infer<typeof healthSchema>
