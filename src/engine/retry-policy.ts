import type {Backpressure, ErrorHandling, PipelineConfig, RouteConfig} from '../config/pipeline-schema.js'
import {backpressureSchema, errorHandlingSchema} from '../config/pipeline-schema.js'

/** Delays double per attempt under `exponential`, capped here (docs/reference/pipeline.md). */
export const MAX_RETRY_DELAY_MS = 5 * 60 * 1000

/** A route's effective error handling: defaults < pipeline-level < route-level. */
export function resolveErrorHandling(pipeline: PipelineConfig, route: RouteConfig): ErrorHandling {
  return errorHandlingSchema.parse({...pipeline.error_handling, ...route.error_handling})
}

export function resolveBackpressure(pipeline: PipelineConfig, route: RouteConfig): Backpressure {
  return backpressureSchema.parse({...pipeline.backpressure, ...route.backpressure})
}

/**
 * Delay before retry number `attempt` (1 = the first retry), with "equal jitter": half the delay is
 * fixed, half random, so retries of many messages failing together spread out.
 */
export function retryDelayMs(policy: ErrorHandling, attempt: number, random: () => number = Math.random): number {
  const base = policy.retry_delay_seconds * 1000
  const raw = policy.backoff === 'exponential' ? base * 2 ** Math.max(0, attempt - 1) : base
  const capped = Math.min(raw, MAX_RETRY_DELAY_MS)
  return Math.round(capped / 2 + random() * (capped / 2))
}
