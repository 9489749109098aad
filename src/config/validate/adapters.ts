import type {z} from 'zod'

import type {AdapterDefinition} from '../../adapters/types.js'
import type {PathSegment} from '../path.js'
import {allowedValues, didYouMean, nearestNames} from '../suggest.js'
import {type CheckContext, describeKind, hasKey, isRecord} from './context.js'
import {truncate, valueAt} from './fields.js'
import {describeZodIssue} from './zod-issues.js'

/** One adapter step's `type` (E103) and `config` against the adapter's own schema (E301–E304). */
export function checkAdapterStep(step: Record<string, unknown>, segments: readonly PathSegment[], ctx: CheckContext): void {
  if (!hasKey(step, 'type') || step.type === null) return
  const type = step.type
  if (typeof type !== 'string') {
    ctx.issues.add('E103', [...segments, 'type'], `adapter \`type\` must name a registered adapter, not ${describeKind(type)}`, {
      suggestion: 'run `factflow adapters list` for the catalog',
    })
    return
  }
  const definition = ctx.registry.get(type)
  if (!definition) {
    const near = nearestNames(type, ctx.registry.types(), 3)
    ctx.issues.add('E103', [...segments, 'type'], `adapter type \`${truncate(type)}\` is not registered`, {
      suggestion: near.length > 0
        ? `did you mean ${near.map((name) => `\`${name}\``).join(' or ')}?`
        : 'run `factflow adapters list` for the catalog',
    })
    return
  }
  checkAdapterConfig(definition, step, segments, ctx)
}

function checkAdapterConfig(definition: AdapterDefinition, step: Record<string, unknown>, segments: readonly PathSegment[], ctx: CheckContext): void {
  const configSegments = [...segments, 'config']
  const config = step.config ?? {}
  if (!isRecord(config)) {
    ctx.issues.add('E303', configSegments, `\`config\` must be a mapping, not ${describeKind(config)}`, {
      suggestion: `see \`factflow adapters show ${definition.type}\``,
    })
    return
  }
  const fields = configFieldNames(definition)
  const result = definition.configSchema.safeParse(config)
  if (result.success) ctx.parsedConfigs.set(step, result.data as Record<string, unknown>)
  else for (const issue of result.error.issues) reportConfigIssue(definition, fields, config, configSegments, issue, ctx)
  for (const field of definition.profileFields ?? []) {
    const profile = config[field]
    if (typeof profile !== 'string' || ctx.profiles.has(profile)) continue
    const known = [...ctx.profiles]
    ctx.issues.add('E304', [...configSegments, field], `the provider profile \`${truncate(profile)}\` does not exist`, {
      suggestion: `${didYouMean(profile, known) ?? allowedValues(known, 'known profiles')}; other profiles come from \`--settings FILE\` or \`--llm-profiles\``,
    })
  }
}

function reportConfigIssue(
  definition: AdapterDefinition, fields: readonly string[], config: Record<string, unknown>, segments: readonly PathSegment[],
  issue: z.core.$ZodIssue, ctx: CheckContext,
): void {
  const path = issue.path as PathSegment[]
  if (issue.code === 'unrecognized_keys') {
    const known = path.length === 0 ? fields : []
    for (const key of issue.keys) {
      const suggestion = known.length === 0 && path.length === 0
        ? `\`${definition.type}\` takes no config; remove \`${truncate(key, 40)}\``
        : didYouMean(key, known) ?? (known.length > 0 ? allowedValues(known, 'fields') : undefined)
      ctx.issues.add('E301', [...segments, ...path, key], `\`${definition.type}\` has no config field \`${truncate(key)}\``, {at: 'key', suggestion})
    }
    return
  }
  const value = valueAt(config, path)
  const label = `\`${String(path.at(-1) ?? 'config')}\``
  if (issue.code === 'invalid_type' && (value === undefined || value === null)) {
    const missing = !hasPath(config, path)
    ctx.issues.add('E302', [...segments, ...path], `\`${definition.type}\` needs the config field ${label}${missing ? '' : ', which is empty'}`, {
      at: 'key', suggestion: `${missing ? 'add' : 'give a value to'} \`${String(path.at(-1))}:\` under \`config:\``,
    })
    return
  }
  const text = describeZodIssue(issue, label, value)
  ctx.issues.add('E303', [...segments, ...path], text.message, {suggestion: text.suggestion ?? `see \`factflow adapters show ${definition.type}\``})
}

function hasPath(value: unknown, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return true
  const parent = valueAt(value, path.slice(0, -1))
  return parent !== null && typeof parent === 'object' && Object.hasOwn(parent, path.at(-1)!)
}

/** The field names of an adapter's config schema (a zod object), for suggestions. */
export function configFieldNames(definition: AdapterDefinition): string[] {
  const shape = (definition.configSchema as unknown as {shape?: Record<string, unknown>}).shape
  return shape ? Object.keys(shape) : []
}
