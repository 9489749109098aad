import type {LineageChainResource, LineageRowResource, LineageStatsResource} from '../api/lineage-schemas.js'
import {formatTable} from '../cli/format-table.js'
import {buildLineageTree, describeMessage, flattenLineageTree, formatMs, rowError} from '../lineage/lineage-tree.js'

const ms = (value: number | null) => (value === null ? '-' : formatMs(value))

/** Lineage rows as a table: ID ROUTE ADAPTER STATUS DURATION STARTED ERROR. */
export function lineageTable(rows: readonly LineageRowResource[]): string {
  if (rows.length === 0) return 'No lineage rows.\n'
  return formatTable(['ID', 'ROUTE', 'ADAPTER', 'STATUS', 'DURATION', 'STARTED', 'ERROR'], rows.map((row) => [
    row.id, row.route_id, row.adapter_name, row.stage_status, ms(row.duration_ms), row.started_at, rowError(row) ?? '',
  ]))
}

/** One row as readable lines. */
export function lineageRowText(row: LineageRowResource): string {
  const lines = [
    `id:          ${row.id}`,
    `execution:   ${row.execution_id}`,
    `message:     ${row.message_id}${row.parent_id ? ` (parent ${row.parent_id})` : ' (root)'}`,
    `route:       ${row.route_id}`,
    `stage:       ${row.stage_name} (${row.adapter_name}, #${row.adapter_index})`,
    `status:      ${row.stage_status}`,
    `started:     ${row.started_at}`,
    `completed:   ${row.completed_at ?? '-'}`,
    `duration:    ${ms(row.duration_ms)}`,
  ]
  if (row.replay_batch_id) lines.push(`replay:      ${row.replay_batch_id}`)
  if (row.metadata && Object.keys(row.metadata).length > 0) lines.push(`metadata:    ${JSON.stringify(row.metadata)}`)
  if (row.error_info) {
    const error = row.error_info as {error_class?: string; code?: string; message?: string; retryable?: boolean}
    lines.push(`error:       ${error.error_class ?? 'Error'}${error.code ? ` [${error.code}]` : ''}: ${error.message ?? ''}${error.retryable ? ' (retryable)' : ''}`)
  }
  return `${lines.join('\n')}\n`
}

/** Every row of a chain (ancestors, the message's rows, descendants) as one list in tree order. */
export function chainRows(chain: LineageChainResource): LineageRowResource[] {
  const seen = new Set<string>()
  return [...chain.ancestors, ...chain.siblings, chain.row, ...chain.descendants].filter((row) => !seen.has(row.id) && seen.add(row.id))
}

/** A chain as a table (DEPTH: negative for ancestors, 0 for the row's message, positive below). */
export function chainTable(chain: LineageChainResource): string {
  const depth = new Map<string, number>([
    ...chain.ancestors.map((row) => [row.id, -row.depth] as const),
    ...chain.descendants.map((row) => [row.id, row.depth] as const),
  ])
  return formatTable(['DEPTH', 'ID', 'ROUTE', 'ADAPTER', 'STATUS', 'DURATION', 'ERROR'], chainRows(chain).map((row) => [
    String(depth.get(row.id) ?? 0), row.id, row.route_id, row.adapter_name, row.stage_status, ms(row.duration_ms), rowError(row) ?? '',
  ]))
}

/** The message tree of a chain drawn as text, the asked row's message marked `◀`. */
export function chainTree(chain: LineageChainResource): string {
  const tree = buildLineageTree(chainRows(chain))
  return treeText(tree.roots, chain.row.message_id)
}

/** Tree lines, every node expanded. */
export function treeText(roots: ReturnType<typeof buildLineageTree>['roots'], markMessageId?: string): string {
  return `${flattenLineageTree(roots, () => true).map(({node, guide}) =>
    `${guide}${describeMessage(node)}${node.messageId === markMessageId ? '  ◀' : ''}`).join('\n')}\n`
}

/** `lineage stats` as the table ROUTE ADAPTER COUNT COMPLETED FAILED AVG P95, with a total line. */
export function statsTable(stats: LineageStatsResource): string {
  const rows = stats.stages.map((s) => [s.route_id, s.adapter_name, String(s.count), String(s.completed), String(s.failed), ms(s.avg_duration_ms), ms(s.p95_duration_ms)])
  rows.push(['total', '', String(stats.totals.count), String(stats.totals.completed), String(stats.totals.failed), '', ''])
  return formatTable(['ROUTE', 'ADAPTER', 'COUNT', 'COMPLETED', 'FAILED', 'AVG', 'P95'], rows)
}
