import {errorCodeEntry} from '../errors/error-codes.js'
import type {RunSummary} from './run-pipeline.js'

/** Exit code of a finished run (docs/reference/cli.md). */
export function runExitCode(summary: RunSummary, interrupted: boolean): number {
  if (interrupted) return 130
  if (summary.status === 'completed') return summary.messages.dead_lettered > 0 ? 3 : 0
  // An execution failed by an unreachable system (the broker past its reconnect deadline) exits 4.
  const code = summary.error_code === undefined ? undefined : errorCodeEntry(summary.error_code)
  if (code?.kind === 'unavailable') return 4
  return 1
}

/** The human summary printed at the end of `factflow run`. */
export function formatRunSummary(s: RunSummary): string {
  const lines: string[] = []
  lines.push(`${s.pipeline}: ${s.status} in ${(s.duration_ms / 1000).toFixed(2)}s  (execution ${s.execution_id})`)
  if (s.error) lines.push(`  error: ${s.error_code ? `[${s.error_code}] ` : ''}${s.error}`)
  const width = Math.max(5, ...Object.keys(s.routes).map((r) => r.length))
  lines.push(`  ${'route'.padEnd(width)}  received  completed  failed  dead-lettered  unchanged  embedded`)
  for (const [route, c] of Object.entries(s.routes)) {
    lines.push(`  ${route.padEnd(width)}  ${pad(c.received, 8)}  ${pad(c.completed, 9)}  ${pad(c.failed, 6)}  ${pad(c.dead_lettered, 13)}  ${pad(c.unchanged, 9)}  ${pad(c.embedded, 8)}`)
  }
  for (const [route, c] of Object.entries(s.routes)) {
    if (c.ended_unchanged > 0) lines.push(`  ${route}: ${c.ended_unchanged} found unchanged and finished by an earlier run, not sent on`)
  }
  lines.push(`  messages: ${s.messages.completed} completed, ${s.messages.dead_lettered} dead-lettered, ${s.messages.failed} failed attempts`)
  // Identical failures (same place, attempts and error) are one line with their count.
  const groups = new Map<string, number>()
  for (const f of s.failures) {
    const line = `${f.route}/${f.stage ?? '-'} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${f.code ? `[${f.code}] ` : ''}${f.error}`
    groups.set(line, (groups.get(line) ?? 0) + 1)
  }
  let shown = 0
  for (const [line, count] of [...groups].slice(0, 10)) {
    lines.push(`  ✗ ${count > 1 ? `${count} × ` : ''}${line}`)
    shown += count
  }
  const more = Math.max(s.failures.length, s.messages.dead_lettered) - shown
  if (more > 0) lines.push(`  … and ${more} more dead-lettered message${more === 1 ? '' : 's'}`)
  lines.push(`  storage:  ${s.storage.uri} (${s.storage.prefix})`)
  const db = s.database
  lines.push(`  database: ${db.location} (${db.lineage_rows} lineage rows${db.lineage_dropped ? `, ${db.lineage_dropped} dropped` : ''})${db.error ? ` — unavailable: ${db.error}` : ''}`)
  return lines.join('\n')
}

function pad(n: number, width: number): string {
  return String(n).padStart(width)
}
