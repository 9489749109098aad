import {z} from 'zod'

/**
 * The pipeline file, version "1.0" (docs/reference/pipeline.md), as zod schemas. These give the TypeScript
 * types the engine runs on and, combined with every adapter's config schema, the JSON Schema of
 * `factflow config schema`. The validator reports coded issues itself; it uses these for the
 * field-level checks so both agree.
 */

export const ROUTE_ID_PATTERN = /^[a-z][a-z0-9_]*$/
export const STAGE_ID_PATTERN = /^[a-z][a-z0-9_]*$/
export const SUPPORTED_VERSIONS = ['1.0'] as const

export const CONDITION_OPERATORS = [
  'equals', 'not_equals', 'in', 'not_in', 'contains', 'matches', 'not_matches',
  'exists', 'not_exists', 'gt', 'gte', 'lt', 'lte',
] as const
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number]

export interface LeafCondition {
  field: string
  operator: ConditionOperator
  value?: unknown
}
export type Condition = LeafCondition | {all: Condition[]} | {any: Condition[]} | {not: Condition}

export const leafConditionSchema = z.strictObject({
  field: z.string().min(1).describe('Dotted path into the payload; `metadata.<key>` reads message metadata'),
  operator: z.enum(CONDITION_OPERATORS),
  value: z.unknown().optional(),
})

export const conditionSchema: z.ZodType<Condition> = z.lazy(() => z.union([
  leafConditionSchema,
  z.strictObject({all: z.array(conditionSchema).min(1)}),
  z.strictObject({any: z.array(conditionSchema).min(1)}),
  z.strictObject({not: conditionSchema}),
])) as z.ZodType<Condition>

const errorHandlingFields = {
  max_retries: z.int().min(0).max(100).describe('Attempts after the first before dead-lettering (default 3)'),
  retry_delay_seconds: z.number().min(0).max(3600).describe('Delay before the first retry, in seconds (default 2)'),
  backoff: z.enum(['fixed', 'exponential']).describe('fixed, or exponential: doubling, capped at 5 minutes, with jitter (default exponential)'),
  dead_letter_queue: z.string().min(1).describe('Where a message goes after its last failed attempt'),
  max_failure_ratio: z.number().min(0).max(1)
    .describe('Fail the execution when this share of messages has been dead-lettered'),
}

/** Error handling with its defaults applied: what a route runs with (see `resolveErrorHandling`). */
export const errorHandlingSchema = z.strictObject({
  max_retries: errorHandlingFields.max_retries.default(3),
  retry_delay_seconds: errorHandlingFields.retry_delay_seconds.default(2),
  backoff: errorHandlingFields.backoff.default('exponential'),
  dead_letter_queue: errorHandlingFields.dead_letter_queue.optional(),
  max_failure_ratio: errorHandlingFields.max_failure_ratio.optional(),
})
export type ErrorHandling = z.output<typeof errorHandlingSchema>

/**
 * An `error_handling` section as written in the file (top level or route): no defaults, so what a
 * route leaves out is inherited from the top level, then from the defaults, never reset by them.
 */
export const errorHandlingOverrideSchema = z.strictObject(errorHandlingFields).partial()

const backpressureFields = {
  target_latency_ms: z.int().min(1).max(3_600_000).describe('Latency the route aims for, in ms (default 500)'),
  max_concurrency: z.int().min(1).max(10_000).describe('Upper bound of the adaptive concurrency (default 20)'),
}

export const backpressureSchema = z.strictObject({
  target_latency_ms: backpressureFields.target_latency_ms.default(500),
  max_concurrency: backpressureFields.max_concurrency.default(20),
})
export type Backpressure = z.output<typeof backpressureSchema>

/** A `backpressure` section as written (no defaults; inherited like `errorHandlingOverrideSchema`). */
export const backpressureOverrideSchema = z.strictObject(backpressureFields).partial()

export const inboundSchema = z.strictObject({
  queue: z.string().min(1),
  subscription: z.string().min(1).optional(),
  concurrency: z.int().min(1).max(10_000).default(1),
  prefetch: z.int().min(1).max(100_000).optional().describe('Broker-side buffer; default 2 x concurrency'),
})

export const outboundSchema = z.strictObject({
  queue: z.string().min(1),
  condition: conditionSchema.optional(),
})

/** One adapter step; `config` is checked against the adapter's own schema separately. */
export const adapterStepSchema = z.strictObject({
  type: z.string().min(1),
  id: z.string().regex(STAGE_ID_PATTERN).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  condition: conditionSchema.optional(),
})

export const routeSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  inbound: inboundSchema,
  adapters: z.array(adapterStepSchema).min(1),
  outbound: z.array(outboundSchema).optional(),
  error_handling: errorHandlingOverrideSchema.optional(),
  backpressure: backpressureOverrideSchema.optional(),
})

export const initMessageSchema = z.strictObject({
  route: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).default({}),
  metadata: z.record(z.string(), z.unknown()).optional(),
})

export const pipelineSchema = z.strictObject({
  version: z.enum(SUPPORTED_VERSIONS),
  name: z.string().optional(),
  description: z.string().optional(),
  error_handling: errorHandlingOverrideSchema.optional(),
  backpressure: backpressureOverrideSchema.optional(),
  routes: z.record(z.string().regex(ROUTE_ID_PATTERN), routeSchema),
  init_message: initMessageSchema,
})

export type PipelineConfig = z.output<typeof pipelineSchema>
export type RouteConfig = z.output<typeof routeSchema>
export type AdapterStep = z.output<typeof adapterStepSchema>
export type OutboundConfig = z.output<typeof outboundSchema>

export const TOP_LEVEL_KEYS = Object.keys(pipelineSchema.shape)
export const ROUTE_KEYS = Object.keys(routeSchema.shape)
export const INBOUND_KEYS = Object.keys(inboundSchema.shape)
export const STEP_KEYS = Object.keys(adapterStepSchema.shape)
