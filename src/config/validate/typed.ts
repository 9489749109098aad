import {basename, extname} from 'node:path'

import {pipelineSchema, type PipelineConfig} from '../pipeline-schema.js'
import type {PathSegment} from '../path.js'
import {type CheckContext, isRecord} from './context.js'
import {valueAt} from './fields.js'
import {describeZodIssue} from './zod-issues.js'

/**
 * The checked, typed pipeline: zod-parsed with defaults, each adapter `config` parsed by its own
 * schema (defaults applied), each stage `id` filled in (the type), each `inbound.prefetch` filled
 * in (2 × concurrency), `name` from the file name when absent. Call only when no error was found;
 * anything zod still rejects is reported as E110 (the checks and the schemas must agree).
 */
export function buildTypedPipeline(root: Record<string, unknown>, ctx: CheckContext, fileName: string | undefined): PipelineConfig | undefined {
  // `root` is the readers' own fresh copy of the input, so it may be adjusted in place.
  const input = root
  if (isRecord(input.routes)) {
    for (const route of Object.values(input.routes)) {
      if (!isRecord(route) || !Array.isArray(route.adapters)) continue
      for (const step of route.adapters) if (isRecord(step) && step.config === null) delete step.config
    }
  }
  const parsed = pipelineSchema.safeParse(input)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathSegment[]
      const text = describeZodIssue(issue, `\`${String(path.at(-1) ?? 'pipeline')}\``, valueAt(input, path))
      ctx.issues.add('E110', path, text.message, {suggestion: text.suggestion})
    }
    return undefined
  }
  const pipeline = parsed.data
  const rawRoutes = input.routes as Record<string, {adapters: object[]}>
  for (const [routeId, route] of Object.entries(pipeline.routes)) {
    route.inbound.prefetch ??= 2 * route.inbound.concurrency
    for (const [index, step] of route.adapters.entries()) {
      step.id ??= step.type
      const checked = ctx.parsedConfigs.get(rawRoutes[routeId]!.adapters[index]!)
      if (checked) {
        step.config = checked
        continue
      }
      const definition = ctx.registry.get(step.type)
      if (!definition) continue
      const config = definition.configSchema.safeParse(step.config ?? {})
      if (config.success) {
        step.config = config.data as Record<string, unknown>
        continue
      }
      for (const issue of config.error.issues) {
        ctx.issues.add('E303', ['routes', routeId, 'adapters', index, 'config', ...(issue.path as PathSegment[])], issue.message)
      }
      return undefined
    }
  }
  if (pipeline.name === undefined && fileName) pipeline.name = basename(fileName, extname(fileName))
  return pipeline
}
