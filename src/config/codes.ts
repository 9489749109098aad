/**
 * The stable issue codes of pipeline validation (docs/reference/pipeline.md, "Error codes"). A code is never
 * reused for another meaning; new codes are added in their band. `E…` codes are errors, `W…` codes
 * warnings (which fail validation only under `--strict`).
 */
export const ISSUE_CODES = {
  E001: 'the text is not valid YAML',
  E002: 'the document is empty or its root is not a mapping',
  E003: 'duplicate key in a mapping',
  E004: 'YAML feature not allowed (alias cycle or bomb, custom tag, document over 1 MiB, nesting too deep)',
  E005: 'more than one YAML document in a file',
  E006: 'environment variable is unset and has no default',
  E007: 'the file cannot be read (missing path, unreadable file, directory without pipelines)',
  E008: 'environment variable not available to pipeline configs on this server (not in pipelines.env)',
  E101: '`version` missing',
  E102: '`version` not supported',
  E103: 'adapter `type` is not registered',
  E104: '`routes` missing or empty',
  E105: 'unknown key',
  E106: 'a required route field is missing',
  E107: 'route id or stage id has an invalid form, or a stage id repeats within a route',
  E108: '`init_message` missing, or its `route` names no route',
  E109: 'two routes read the same inbound queue',
  E110: 'wrong type or out-of-range value in a route or engine field',
  E201: 'queue or topic name is invalid for the provider',
  E202: 'an outbound queue is read by no route in this pipeline',
  W202: 'an outbound topic is read by no route in this pipeline',
  E301: 'adapter `config` has an unknown field',
  E302: 'adapter `config` misses a required field',
  E303: 'adapter `config` field has the wrong type or a value out of range or not in its enum',
  E304: 'adapter `config` names a provider profile that does not exist',
  E401: 'condition has an unknown operator',
  E402: 'condition has an invalid regular expression',
  E403: 'condition misses `field`, or has a `value` of the wrong kind for its operator',
  E501: 'the routes form a cycle with no condition that can break it',
  W501: 'a route can never receive a message',
  W502: 'a retry policy without a dead-letter queue',
  W503: '`prefetch` lower than `concurrency`',
} as const

export type IssueCode = keyof typeof ISSUE_CODES
export type IssueSeverity = 'error' | 'warning'

export const ALL_ISSUE_CODES = Object.keys(ISSUE_CODES) as IssueCode[]

export function severityOf(code: IssueCode): IssueSeverity {
  return code.startsWith('W') ? 'warning' : 'error'
}

export function isIssueCode(value: string): value is IssueCode {
  return Object.hasOwn(ISSUE_CODES, value)
}
