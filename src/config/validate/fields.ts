import type {z} from 'zod'

import type {IssueCode} from '../codes.js'
import type {PathSegment} from '../path.js'
import {allowedValues, didYouMean} from '../suggest.js'
import {type CheckContext, hasKey, isRecord} from './context.js'
import {describeZodIssue} from './zod-issues.js'

/** E105 for every key of `record` that is not in `allowed`, with the nearest allowed key. */
export function checkKnownKeys(
  record: Record<string, unknown>, allowed: readonly string[], segments: readonly PathSegment[], ctx: CheckContext, where: string,
): void {
  for (const key of Object.keys(record)) {
    if (allowed.includes(key)) continue
    ctx.issues.add('E105', [...segments, key], `unknown key \`${truncate(key)}\` ${where}`, {
      at: 'key', suggestion: didYouMean(key, allowed) ?? allowedValues(allowed, 'allowed keys'),
    })
  }
}

/**
 * Checks each present field of `record` against the matching field schema of a zod object shape
 * (the pipeline schema), so the validator and the engine's types agree on every limit.
 */
export function checkFields(
  record: Record<string, unknown>,
  shape: Readonly<Record<string, z.ZodType>>,
  fields: readonly string[],
  segments: readonly PathSegment[],
  ctx: CheckContext,
  code: IssueCode = 'E110',
): boolean {
  let ok = true
  for (const field of fields) {
    const schema = shape[field]
    if (!schema || !hasKey(record, field)) continue
    const value = record[field]
    const result = schema.safeParse(value)
    if (result.success) continue
    ok = false
    const issue = result.error.issues[0]!
    const path = [...segments, field, ...(issue.path as PathSegment[])]
    const text = describeZodIssue(issue, `\`${path.at(-1)}\``, valueAt(value, issue.path as PathSegment[]))
    ctx.issues.add(code, path, text.message, {suggestion: text.suggestion})
  }
  return ok
}

/** A mapping-valued section (error_handling, backpressure): E110 when not a mapping, E105, field checks. */
export function checkSection(
  value: unknown, shape: Readonly<Record<string, z.ZodType>>, segments: readonly PathSegment[], ctx: CheckContext,
): Record<string, unknown> | undefined {
  const name = String(segments.at(-1))
  if (!isRecord(value)) {
    ctx.issues.add('E110', segments, `\`${name}\` must be a mapping`, {suggestion: allowedValues(Object.keys(shape), 'keys')})
    return undefined
  }
  checkKnownKeys(value, Object.keys(shape), segments, ctx, `in \`${name}\``)
  checkFields(value, shape, Object.keys(shape), segments, ctx)
  return value
}

export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[segment]
  }
  return current
}

export function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
