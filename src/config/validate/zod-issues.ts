import type {z} from 'zod'

import {didYouMean, allowedValues} from '../suggest.js'
import {describeKind, show} from './context.js'

const EXPECTED: Record<string, string> = {
  int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'a mapping',
  record: 'a mapping', array: 'a list', null: 'null', literal: 'a fixed value',
}

export interface IssueText {
  message: string
  suggestion?: string
}

/** Turns one zod issue about `label` (whose value is `value`) into our message and suggestion. */
export function describeZodIssue(issue: z.core.$ZodIssue, label: string, value: unknown): IssueText {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected
      return {message: `${label} must be ${expected}, not ${describeKind(value)}${isShown(value) ? ` (${show(value)})` : ''}`}
    }
    case 'invalid_union': {
      const expected = [...new Set(issue.errors.flat().filter((inner) => inner.code === 'invalid_type' && inner.path.length === 0)
        .map((inner) => EXPECTED[(inner as z.core.$ZodIssueInvalidType).expected] ?? (inner as z.core.$ZodIssueInvalidType).expected))]
      if (expected.length > 0) return {message: `${label} must be ${expected.join(' or ')}, not ${describeKind(value)}`}
      return {message: `${label} has an invalid value ${show(value)}`}
    }
    case 'too_small': return {message: `${label} ${bound(issue, 'small')}`, suggestion: rangeHint(issue, 'small')}
    case 'too_big': return {message: `${label} ${bound(issue, 'big')}`, suggestion: rangeHint(issue, 'big')}
    case 'invalid_value': {
      const values = issue.values.map(String)
      const near = typeof value === 'string' ? didYouMean(value, values) : undefined
      return {
        message: `${label} is ${show(value)}, which is not one of the allowed values`,
        suggestion: near ? `${near} ${allowedValues(values)}` : allowedValues(values),
      }
    }
    case 'invalid_format':
      return {message: `${label} is ${show(value)}, which does not have the expected form${'pattern' in issue && issue.pattern ? ` ${issue.pattern}` : ''}`}
    case 'not_multiple_of':
      return {message: `${label} must be a multiple of ${String(issue.divisor)}`}
    default:
      return {message: `${label}: ${issue.message}`}
  }
}

function isShown(value: unknown): boolean {
  return value !== null && value !== undefined && typeof value !== 'object'
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, side: 'small' | 'big'): string {
  const limit = Number(side === 'small' ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum)
  const inclusive = issue.inclusive !== false
  switch (issue.origin) {
    case 'string':
      if (side === 'small' && limit === 1) return 'must not be empty'
      return `must be at ${side === 'small' ? 'least' : 'most'} ${limit} characters long`
    case 'array':
    case 'set':
      if (side === 'small' && limit === 1) return 'must not be empty'
      return `must have at ${side === 'small' ? 'least' : 'most'} ${limit} items`
    default:
      if (side === 'small') return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`
      return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`
  }
}

function rangeHint(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, side: 'small' | 'big'): string | undefined {
  if (issue.origin !== 'number' && issue.origin !== 'int' && issue.origin !== 'bigint') return undefined
  const limit = Number(side === 'small' ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum)
  const inclusive = issue.inclusive !== false
  return `use a value ${side === 'small' ? (inclusive ? '≥' : '>') : (inclusive ? '≤' : '<')} ${limit}`
}
