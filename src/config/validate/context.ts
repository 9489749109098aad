import type {AdapterRegistry} from '../../adapters/registry.js'
import type {IssueCollector} from '../issues.js'
import type {QueueProviderName} from '../queue-names.js'

/** What every check gets: where to report, and the facts the pipeline is checked against. */
export interface CheckContext {
  readonly issues: IssueCollector
  readonly registry: AdapterRegistry
  readonly provider: QueueProviderName
  /** Every LLM / embedding profile name that exists (always `local` and `default`). */
  readonly profiles: ReadonlySet<string>
  /** Each adapter step's config as its schema parsed it (defaults applied), keyed by the raw step. */
  readonly parsedConfigs: WeakMap<object, Record<string, unknown>>
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function hasKey(record: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(record, key)
}

/** "a string", "a list", "null" … for messages. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number'
  if (typeof value === 'boolean') return 'a boolean'
  return `a ${typeof value}`
}

/** A short rendering of a value for messages (never the whole of a large value). */
export function show(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}
