import type {Condition, LeafCondition} from '../config/pipeline-schema.js'

/**
 * Evaluates a pipeline condition (docs/reference/pipeline.md, "Conditions") against a message. `field` is a
 * dotted path into the payload; `metadata.<key>` reads the message metadata. Regular expressions
 * are compiled once per condition object and cached.
 */
export interface ConditionSubject {
  payload: Readonly<Record<string, unknown>>
  metadata: Readonly<Record<string, unknown>>
}

const regexCache = new WeakMap<LeafCondition, RegExp>()

export function evaluateCondition(condition: Condition, subject: ConditionSubject): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, subject))
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, subject))
  if ('not' in condition) return !evaluateCondition(condition.not, subject)
  return evaluateLeaf(condition, subject)
}

export function readField(path: string, subject: ConditionSubject): unknown {
  let current: unknown
  let parts: string[]
  if (path.startsWith('metadata.')) {
    current = subject.metadata
    parts = path.slice('metadata.'.length).split('.')
  } else {
    current = subject.payload
    parts = path.split('.')
  }
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

function evaluateLeaf(condition: LeafCondition, subject: ConditionSubject): boolean {
  const actual = readField(condition.field, subject)
  const expected = condition.value
  switch (condition.operator) {
    case 'equals': return looseEquals(actual, expected)
    case 'not_equals': return !looseEquals(actual, expected)
    case 'in': return Array.isArray(expected) && expected.some((e) => looseEquals(actual, e))
    case 'not_in': return Array.isArray(expected) && !expected.some((e) => looseEquals(actual, e))
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected)
      if (Array.isArray(actual)) return actual.some((e) => looseEquals(e, expected))
      return false
    case 'matches': return typeof actual === 'string' && regexOf(condition).test(actual)
    case 'not_matches': return typeof actual !== 'string' || !regexOf(condition).test(actual)
    case 'exists': return actual !== undefined && actual !== null
    case 'not_exists': return actual === undefined || actual === null
    case 'gt': return compare(actual, expected, (a, b) => a > b)
    case 'gte': return compare(actual, expected, (a, b) => a >= b)
    case 'lt': return compare(actual, expected, (a, b) => a < b)
    case 'lte': return compare(actual, expected, (a, b) => a <= b)
  }
}

function regexOf(condition: LeafCondition): RegExp {
  let re = regexCache.get(condition)
  if (!re) {
    re = new RegExp(String(condition.value))
    regexCache.set(condition, re)
  }
  return re
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return JSON.stringify(a) === JSON.stringify(b)
  }
  return false
}

function compare(a: unknown, b: unknown, op: (x: number, y: number) => boolean): boolean {
  const x = typeof a === 'string' && a.trim() !== '' ? Number(a) : a
  return typeof x === 'number' && typeof b === 'number' && !Number.isNaN(x) && op(x, b)
}
