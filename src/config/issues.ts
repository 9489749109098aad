import {type IssueCode, type IssueSeverity, severityOf} from './codes.js'
import {formatPath, type PathSegment} from './path.js'

/** One problem found in a pipeline file (docs/reference/pipeline.md, "Validation"). */
export interface ValidationIssue {
  severity: IssueSeverity
  code: IssueCode
  /** Where in the config: `routes.crawl.adapters[2].config.timeout` (empty for the whole document). */
  path: string
  /** 1-based position in the YAML source; null when the input was an object, not text. */
  line: number | null
  column: number | null
  message: string
  /** The deterministic next step ("did you mean `web_scraper`?", "add `queue:`"); null when none. */
  suggestion: string | null
}

/** Errors first, then warnings, each in source order. `--strict` makes warnings fail `is_valid`. */
export interface ValidationReport {
  is_valid: boolean
  error_count: number
  warning_count: number
  issues: ValidationIssue[]
}

export interface Position {
  line: number
  column: number
}

interface NodeLocation {
  ordinal: number
  key?: Position
  value?: Position
}

/**
 * Where each node of the document is: filled while the source is read, queried when issues are
 * reported. A path that does not exist (a missing field) resolves to its nearest existing ancestor.
 */
export class SourceIndex {
  private readonly nodes = new Map<string, NodeLocation>()
  private next = 0

  record(path: string, key: Position | undefined, value: Position | undefined): void {
    if (this.nodes.has(path)) return
    this.nodes.set(path, {ordinal: this.next++, key, value})
  }

  locate(segments: readonly PathSegment[], at: 'key' | 'value'): {position?: Position; ordinal: number} {
    for (let depth = segments.length; depth >= 0; depth--) {
      const found = this.nodes.get(formatPath(segments.slice(0, depth)))
      if (!found) continue
      const exact = depth === segments.length
      const position = exact && at === 'value' ? (found.value ?? found.key) : (found.key ?? found.value)
      return {position, ordinal: found.ordinal}
    }
    return {ordinal: -1}
  }
}

export interface IssueDetails {
  suggestion?: string
  /** Point at the key (unknown keys, missing children) or the value (bad values). Default: value. */
  at?: 'key' | 'value'
  /** An explicit position (parser errors), instead of looking the path up. */
  position?: Position
}

interface PendingIssue {
  code: IssueCode
  segments: readonly PathSegment[]
  message: string
  details: IssueDetails
  sequence: number
}

/** Collects issues from every check; turns them into the ordered report at the end. */
export class IssueCollector {
  private readonly pending: PendingIssue[] = []
  private readonly seen = new Set<string>()
  private readonly suppressed = new Set<string>()

  constructor(readonly index: SourceIndex) {}

  /**
   * A value whose `${VAR}` could not be substituted is reported once (E006); checks of that
   * value's content would only repeat the same problem, so they are dropped.
   */
  suppressOthersAt(segments: readonly PathSegment[]): void {
    this.suppressed.add(formatPath(segments))
  }

  add(code: IssueCode, segments: readonly PathSegment[], message: string, details: IssueDetails = {}): void {
    if (code !== 'E006' && this.suppressed.size > 0 && this.suppressed.has(formatPath(segments))) return
    const identity = `${code}\u0000${formatPath(segments)}\u0000${message}\u0000${details.position?.line}:${details.position?.column}`
    if (this.seen.has(identity)) return
    this.seen.add(identity)
    this.pending.push({code, segments: [...segments], message, details, sequence: this.pending.length})
  }

  get errorCount(): number {
    return this.pending.filter((issue) => severityOf(issue.code) === 'error').length
  }

  hasErrors(): boolean {
    return this.pending.some((issue) => severityOf(issue.code) === 'error')
  }

  report(strict: boolean, withPositions: boolean): ValidationReport {
    const located = this.pending.map((issue) => {
      const found = issue.details.position
        ? {position: issue.details.position, ordinal: -1}
        : this.index.locate(issue.segments, issue.details.at ?? 'value')
      const position = withPositions ? found.position : undefined
      const result: ValidationIssue = {
        severity: severityOf(issue.code),
        code: issue.code,
        path: formatPath(issue.segments),
        line: position?.line ?? null,
        column: position?.column ?? null,
        message: issue.message,
        suggestion: issue.details.suggestion ?? null,
      }
      return {result, ordinal: found.ordinal, sequence: issue.sequence}
    })
    located.sort((a, b) =>
      rank(a.result) - rank(b.result)
      || (a.result.line ?? 0) - (b.result.line ?? 0)
      || (a.result.column ?? 0) - (b.result.column ?? 0)
      || a.ordinal - b.ordinal
      || a.sequence - b.sequence)
    const issues = located.map((entry) => entry.result)
    const errorCount = issues.filter((issue) => issue.severity === 'error').length
    const warningCount = issues.length - errorCount
    return {
      is_valid: errorCount === 0 && (!strict || warningCount === 0),
      error_count: errorCount,
      warning_count: warningCount,
      issues,
    }
  }
}

function rank(issue: ValidationIssue): number {
  return issue.severity === 'error' ? 0 : 1
}
