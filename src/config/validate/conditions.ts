import {CONDITION_OPERATORS, type ConditionOperator} from '../pipeline-schema.js'
import type {PathSegment} from '../path.js'
import {allowedValues, didYouMean} from '../suggest.js'
import {type CheckContext, describeKind, hasKey, isRecord, show} from './context.js'
import {checkKnownKeys, truncate} from './fields.js'

const COMPOSITE_KEYS = ['all', 'any', 'not'] as const
const LEAF_KEYS = ['field', 'operator', 'value'] as const
const NO_VALUE = new Set<ConditionOperator>(['exists', 'not_exists'])
const LIST_VALUE = new Set<ConditionOperator>(['in', 'not_in'])
const REGEX_VALUE = new Set<ConditionOperator>(['matches', 'not_matches'])
const NUMBER_VALUE = new Set<ConditionOperator>(['gt', 'gte', 'lt', 'lte'])

/**
 * Compiles the pattern of a `matches` / `not_matches` condition. The validator (E402) and the
 * engine compile patterns the same way, so a pattern that validates also runs.
 */
export function compileConditionPattern(pattern: string): RegExp {
  return new RegExp(pattern)
}

/** A condition on an adapter step or an outbound entry (E401–E403), recursively. */
export function checkCondition(condition: unknown, segments: readonly PathSegment[], ctx: CheckContext): void {
  if (!isRecord(condition)) {
    ctx.issues.add('E403', segments, `a condition must be a mapping, not ${describeKind(condition)}`, {
      suggestion: 'write `{ field: …, operator: …, value: … }` or `{ all: [...] }` / `{ any: [...] }` / `{ not: … }`',
    })
    return
  }
  const composite = COMPOSITE_KEYS.filter((key) => hasKey(condition, key))
  if (composite.length > 0) {
    checkComposite(condition, composite, segments, ctx)
    return
  }
  checkLeaf(condition, segments, ctx)
}

function checkComposite(condition: Record<string, unknown>, composite: readonly string[], segments: readonly PathSegment[], ctx: CheckContext): void {
  const keys = Object.keys(condition)
  if (keys.length > 1) {
    ctx.issues.add('E403', segments, `a composite condition has exactly one key (\`all\`, \`any\` or \`not\`), this one has ${keys.map((key) => `\`${truncate(key, 20)}\``).join(', ')}`, {
      suggestion: 'nest the other parts inside `all: [...]`',
    })
  }
  const key = composite[0]!
  const inner = condition[key]
  if (key === 'not') {
    checkCondition(inner, [...segments, 'not'], ctx)
    return
  }
  if (!Array.isArray(inner) || inner.length === 0) {
    ctx.issues.add('E403', [...segments, key], `\`${key}\` must be a non-empty list of conditions, not ${Array.isArray(inner) ? 'an empty list' : describeKind(inner)}`, {
      suggestion: `write \`${key}: [ { field: …, operator: … }, … ]\``,
    })
    return
  }
  inner.forEach((child, index) => checkCondition(child, [...segments, key, index], ctx))
}

function checkLeaf(condition: Record<string, unknown>, segments: readonly PathSegment[], ctx: CheckContext): void {
  checkKnownKeys(condition, [...LEAF_KEYS, ...COMPOSITE_KEYS], segments, ctx, 'in a condition')
  if (!hasKey(condition, 'field') || condition.field === null) {
    ctx.issues.add('E403', [...segments, 'field'], 'the condition has no `field`', {at: 'key', suggestion: 'add `field:` (a dotted path into the payload, or `metadata.<key>`)'})
  } else if (typeof condition.field !== 'string' || condition.field.length === 0) {
    ctx.issues.add('E403', [...segments, 'field'], `\`field\` must be a non-empty dotted path, not ${describeKind(condition.field)}`)
  }
  if (!hasKey(condition, 'operator') || condition.operator === null) {
    ctx.issues.add('E401', [...segments, 'operator'], 'the condition has no `operator`', {at: 'key', suggestion: `add \`operator:\`; ${allowedValues(CONDITION_OPERATORS)}`})
    return
  }
  const operator = condition.operator
  if (typeof operator !== 'string' || !(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
    const near = typeof operator === 'string' ? didYouMean(operator, CONDITION_OPERATORS) : undefined
    ctx.issues.add('E401', [...segments, 'operator'], `the operator ${show(operator)} is not known`, {
      suggestion: near ? `${near} ${allowedValues(CONDITION_OPERATORS)}` : allowedValues(CONDITION_OPERATORS),
    })
    return
  }
  checkValue(operator as ConditionOperator, condition, segments, ctx)
}

function checkValue(operator: ConditionOperator, condition: Record<string, unknown>, segments: readonly PathSegment[], ctx: CheckContext): void {
  const present = hasKey(condition, 'value')
  const value = condition.value
  const at = [...segments, 'value']
  if (NO_VALUE.has(operator)) {
    if (present) ctx.issues.add('E403', at, `\`${operator}\` takes no \`value\``, {at: 'key', suggestion: 'remove `value:`'})
    return
  }
  if (!present) {
    ctx.issues.add('E403', at, `\`${operator}\` needs a \`value\``, {at: 'key', suggestion: `add \`value:\`${LIST_VALUE.has(operator) ? ' with a list' : ''}`})
    return
  }
  if (LIST_VALUE.has(operator) && !Array.isArray(value)) {
    ctx.issues.add('E403', at, `\`${operator}\` needs a list as \`value\`, not ${describeKind(value)}`, {suggestion: `write \`value: [${show(value)}]\``})
  } else if (NUMBER_VALUE.has(operator) && (typeof value !== 'number' || !Number.isFinite(value))) {
    ctx.issues.add('E403', at, `\`${operator}\` compares numbers; \`value\` is ${describeKind(value)}`, {suggestion: 'use a number, unquoted'})
  } else if (REGEX_VALUE.has(operator)) {
    if (typeof value !== 'string') {
      ctx.issues.add('E403', at, `\`${operator}\` needs a regular expression string as \`value\`, not ${describeKind(value)}`, {suggestion: 'quote the pattern'})
      return
    }
    try {
      compileConditionPattern(value)
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)
      ctx.issues.add('E402', at, `\`value\` is not a valid regular expression: ${truncate(reason, 120)}`, {
        suggestion: 'escape special characters such as `(`, `[`, `\\`; in YAML, single quotes keep backslashes as written',
      })
    }
  }
}
