import type {ValidationIssue} from './issues.js'
import type {FilesValidationSummary} from './validate-files.js'

export const VALIDATION_OUTPUTS = ['text', 'json', 'github'] as const
export type ValidationOutput = (typeof VALIDATION_OUTPUTS)[number]

/** Renders a summary for stdout in one of the `config validate --output` forms. */
export function formatValidationSummary(summary: FilesValidationSummary, output: ValidationOutput): string {
  switch (output) {
    case 'json': return `${JSON.stringify(summary, null, 2)}\n`
    case 'github': return formatGithub(summary)
    default: return formatText(summary)
  }
}

/** `file:line:col: severity CODE message (suggestion)` per issue, then a totals line. */
function formatText(summary: FilesValidationSummary): string {
  const lines: string[] = []
  for (const file of summary.files) {
    for (const issue of file.issues) {
      lines.push(`${location(file.file, issue)}: ${issue.severity} ${issue.code} ${oneLine(issue.message)}${issue.suggestion ? ` (${oneLine(issue.suggestion)})` : ''}`)
    }
  }
  lines.push(totalsLine(summary))
  return `${lines.join('\n')}\n`
}

/** GitHub Actions workflow commands: one annotation per issue, then the totals line. */
function formatGithub(summary: FilesValidationSummary): string {
  const lines: string[] = []
  for (const file of summary.files) {
    for (const issue of file.issues) {
      const properties = [`file=${escapeProperty(file.file)}`]
      if (issue.line !== null) properties.push(`line=${issue.line}`, `col=${issue.column}`)
      properties.push(`title=${escapeProperty(issue.code)}`)
      const text = `${issue.message}${issue.suggestion ? ` (${issue.suggestion})` : ''}`
      lines.push(`::${issue.severity} ${properties.join(',')}::${escapeData(text)}`)
    }
  }
  lines.push(totalsLine(summary))
  return `${lines.join('\n')}\n`
}

function location(file: string, issue: ValidationIssue): string {
  return issue.line === null ? file : `${file}:${issue.line}:${issue.column}`
}

function totalsLine(summary: FilesValidationSummary): string {
  const {files, valid, invalid, errors, warnings} = summary.totals
  return `${plural(files, 'file')}: ${valid} valid, ${invalid} invalid; ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function oneLine(text: string): string {
  return text.replaceAll(/\r?\n/g, ' ')
}

// https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C')
}
