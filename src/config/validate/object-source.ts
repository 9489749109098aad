import {type EnvMap, substituteEnv} from '../env-substitution.js'
import type {IssueCollector} from '../issues.js'
import {formatPath, type PathSegment} from '../path.js'
import {MAX_DEPTH} from './limits.js'
import {reportUnsetVariable} from './unset-variable.js'

/** At most this many values are copied from an object input (a JSON body is far smaller). */
const MAX_NODES = 1_000_000

/**
 * Reads an already-parsed pipeline (an HTTP body, a test object) the way `readYamlSource` reads
 * text: a fresh copy with `${VAR}` substituted in string values, node order recorded for source
 * ordering, cycles and excessive depth reported as E004. No positions exist for object input.
 */
export function readObjectSource(input: unknown, env: EnvMap, issues: IssueCollector, allowedEnv?: ReadonlySet<string>): Record<string, unknown> | undefined {
  if (input === null || input === undefined) {
    issues.add('E002', [], 'the document is empty', {suggestion: 'start with `version: "1.0"`'})
    return undefined
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    issues.add('E002', [], `the document root is ${Array.isArray(input) ? 'a list' : `a ${typeof input}`}; a pipeline is a mapping`, {
      suggestion: 'start with `version: "1.0"` and `routes:`',
    })
    return undefined
  }
  const ancestors = new Set<object>()
  let nodes = 0
  issues.index.record('', undefined, undefined)

  const copy = (value: unknown, segments: PathSegment[], depth: number): unknown => {
    if (++nodes > MAX_NODES) {
      issues.add('E004', [], `the document has more than ${MAX_NODES} values`)
      return null
    }
    if (typeof value === 'string') {
      const substitution = substituteEnv(value, env)
      for (const name of substitution.missing) reportUnsetVariable(issues, segments, name, allowedEnv)
      if (substitution.missing.length > 0) issues.suppressOthersAt(segments)
      return substitution.value
    }
    if (value === null || typeof value !== 'object') return value
    if (depth > MAX_DEPTH) {
      issues.add('E004', segments, `the document nests deeper than ${MAX_DEPTH} levels`, {suggestion: 'flatten the structure'})
      return null
    }
    if (ancestors.has(value)) {
      issues.add('E004', segments, 'the value refers to an object that contains it (a cycle)')
      return null
    }
    ancestors.add(value)
    try {
      if (Array.isArray(value)) {
        return value.map((item, index) => {
          const child = [...segments, index]
          issues.index.record(formatPath(child), undefined, undefined)
          return copy(item, child, depth + 1)
        })
      }
      // Any other object is read as a mapping of its own enumerable keys: inherited keys (an exotic
      // prototype) never reach the checks, so the checks and zod see the same fields.
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const child = [...segments, key]
        issues.index.record(formatPath(child), undefined, undefined)
        Object.defineProperty(out, key, {
          value: copy((value as Record<string, unknown>)[key], child, depth + 1), enumerable: true, writable: true, configurable: true,
        })
      }
      return out
    } finally {
      ancestors.delete(value)
    }
  }
  return copy(input, [], 0) as Record<string, unknown>
}
