import type {DeadLetterResource, RedriveResultResource} from '../api/dead-letter-schemas.js'
import {formatTable} from '../cli/format-table.js'

const errorOf = (letter: DeadLetterResource) => {
  const message = (letter.error_info as {message?: unknown} | null)?.message
  return typeof message === 'string' ? message : ''
}

/** Dead letters as a table: ID EXECUTION ROUTE STAGE ATTEMPTS CREATED REDRIVEN ERROR. */
export function deadLetterTable(letters: readonly DeadLetterResource[]): string {
  if (letters.length === 0) return 'No dead letters.\n'
  return formatTable(['ID', 'EXECUTION', 'ROUTE', 'STAGE', 'ATTEMPTS', 'CREATED', 'REDRIVEN', 'ERROR'], letters.map((l) => [
    l.id, l.execution_id, l.route_id, l.stage ?? '-', String(l.attempts), l.created_at, l.redriven_at ?? '-', errorOf(l),
  ]))
}

export function deadLetterText(letter: DeadLetterResource): string {
  const error = (letter.error_info ?? {}) as {error_class?: string; code?: string; message?: string; retryable?: boolean}
  const payload = (letter.message as {payload?: unknown}).payload
  return [
    `id:         ${letter.id}`,
    `execution:  ${letter.execution_id}`,
    `route:      ${letter.route_id}`,
    `stage:      ${letter.stage ?? '-'}`,
    `attempts:   ${letter.attempts}`,
    `created:    ${letter.created_at}`,
    `redriven:   ${letter.redriven_at ?? 'no'}`,
    `error:      ${error.error_class ?? 'Error'}${error.code ? ` [${error.code}]` : ''}: ${error.message ?? ''}${error.retryable ? ' (retryable)' : ''}`,
    `payload:    ${JSON.stringify(payload ?? letter.message, null, 2).replaceAll('\n', '\n            ')}`,
  ].join('\n') + '\n'
}

export function redriveText(result: RedriveResultResource): string {
  if (result.mode === 'none') return `Nothing to redrive in ${result.execution_id}.\n`
  return `Redrove ${result.redriven} message(s) of ${result.execution_id} (${result.mode === 'running' ? 'taken by the running execution' : 'the execution runs again'}).\n`
}
