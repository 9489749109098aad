import type {Execution} from '../api/schemas.js'
import {formatTable} from '../cli/format-table.js'

/** The exit code of an ended execution (docs/reference/cli.md): 0, 3 with dead letters, 1 failed/cancelled/interrupted. */
export function executionExitCode(execution: Pick<Execution, 'status' | 'summary'>): number {
  if (execution.status === 'completed') {
    const messages = (execution.summary as {messages?: {dead_lettered?: number}} | null)?.messages
    return (messages?.dead_lettered ?? 0) > 0 ? 3 : 0
  }
  return execution.status === 'running' ? 0 : 1
}

export function executionTable(executions: readonly Execution[]): string {
  return formatTable(['ID', 'STATUS', 'CONFIG', 'TAG', 'STARTED', 'COMPLETED'], executions.map((e) => [
    e.id, e.status, e.config_name, e.tag ?? '', e.started_at ?? '', e.completed_at ?? '',
  ]))
}

/** An execution as readable lines: identity, status, per-route counts, error. */
export function executionText(e: Execution): string {
  const lines = [
    `id:         ${e.id}${e.tag ? ` (tag ${e.tag})` : ''}`,
    `config:     ${e.config_name}${e.config_id ? ` (${e.config_id})` : ''}`,
    `status:     ${e.status}`,
    `started:    ${e.started_at ?? '-'}`,
    `completed:  ${e.completed_at ?? '-'}`,
  ]
  const replay = e.replay_source as {from_execution_id?: string; from_stage?: string; to_route?: string; replay_batch_id?: string; found?: number; published?: number; failed?: number} | null
  if (replay?.replay_batch_id) {
    lines.push(`replay of:  ${replay.from_execution_id} stage ${replay.from_stage} → route ${replay.to_route}`,
      `replayed:   ${replay.published ?? 0} of ${replay.found ?? 0} artefacts published${replay.failed ? `, ${replay.failed} failed` : ''} (batch ${replay.replay_batch_id})`)
  }
  const routes = (e.summary as {routes?: Record<string, Record<string, number>>} | null)?.routes ?? (e.routes as Record<string, Record<string, number>> | undefined)
  if (routes && Object.keys(routes).length > 0) {
    lines.push('', formatTable(['ROUTE', 'RECEIVED', 'COMPLETED', 'FAILED', 'DEAD-LETTERED'], Object.entries(routes).map(([route, c]) => [
      route, String(c.received ?? 0), String(c.completed ?? 0), String(c.failed ?? 0), String(c.dead_lettered ?? 0),
    ])).trimEnd())
  }
  const error = (e.error_info as {message?: string} | null)?.message
  if (error) lines.push('', `error:      ${error}`)
  return `${lines.join('\n')}\n`
}
