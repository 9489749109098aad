import {useState} from 'react'

import type {DeadLetterPage, RedriveResultResource} from '../../../../src/api/dead-letter-schemas.js'
import {api, ApiError} from '../api.js'
import {letterError, openLetters, payloadExcerpt} from '../dead-letters.js'
import {formatTime, shortId} from '../format.js'
import {useApi, useReloadOn} from '../use-api.js'
import {ErrorNote} from './ErrorNote.js'

/**
 * The execution's dead letters (`GET /executions/{id}/dlq`): error, attempts, stage and the start of
 * the payload, with a redrive button per letter and one for all. Read again when `version` changes
 * (the page passes the live dead-letter count and the status) and after a redrive.
 */
export function DeadLetterPanel({executionId, route, version, onRedriven}: {executionId: string; route: string | undefined; version: string; onRedriven: (result: RedriveResultResource) => void}) {
  const letters = useApi<DeadLetterPage>(`/executions/${encodeURIComponent(executionId)}/dlq?limit=200`)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | undefined>()
  const [note, setNote] = useState('')
  const {reload} = letters
  useReloadOn(reload, version)

  const shown = (letters.data?.dead_letters ?? []).filter((l) => route === undefined || l.route_id === route)
  const open = openLetters(shown)
  const redrive = async (request: () => Promise<RedriveResultResource>) => {
    setBusy(true)
    setError(undefined)
    try {
      const result = await request()
      setNote(result.redriven === 0 ? 'Nothing to redrive.' : `Redriven ${result.redriven} message${result.redriven === 1 ? '' : 's'}${result.mode === 'restarted' ? ': the execution runs again' : ''}.`)
      onRedriven(result)
    } catch (caught) {
      setError(caught as ApiError)
    } finally {
      setBusy(false)
      reload()
    }
  }
  const redriveOne = (id: string) => redrive(() => api<RedriveResultResource>(`/dlq/${encodeURIComponent(id)}/redrive`, {method: 'POST'}))
  const redriveAll = () => redrive(() => api<RedriveResultResource>('/dlq/redrive', {method: 'POST', json: {execution_id: executionId, ...(route ? {route_id: route} : {})}}))

  return (
    <section aria-labelledby="dlq-h" className="dead-letters">
      <div className="toolbar">
        <h2 id="dlq-h">Dead letters</h2>
        <span className="muted" data-testid="dlq-count">{letters.data ? `${open.length} open of ${shown.length}` : ''}</span>
        {open.length > 0 ? <button type="button" disabled={busy} onClick={redriveAll}>Redrive all ({open.length})</button> : null}
      </div>
      <ErrorNote error={letters.error ?? error} />
      {note ? <p className="muted" role="status">{note}</p> : null}
      {letters.data && shown.length === 0 ? <p className="muted">No dead letters{route ? ' on this route' : ''}.</p> : null}
      {shown.length > 0 ? (
        <table className="grid">
          <thead><tr><th>Route / stage</th><th>Error</th><th className="num">Attempts</th><th>Payload</th><th>When</th><th /></tr></thead>
          <tbody>
            {shown.map((letter) => (
              <tr key={letter.id} data-letter={letter.id} data-redriven={letter.redriven_at ? 'true' : 'false'}>
                <td>{letter.route_id}{letter.stage ? <span className="muted"> / {letter.stage}</span> : null}</td>
                <td className="bad">{letterError(letter)}</td>
                <td className="num">{letter.attempts}</td>
                <td><code className="excerpt" title={payloadExcerpt(letter, 2000)}>{payloadExcerpt(letter)}</code></td>
                <td className="small">{formatTime(letter.created_at)}</td>
                <td>{letter.redriven_at
                  ? <span className="muted" title={formatTime(letter.redriven_at)}>redriven</span>
                  : <button type="button" disabled={busy} aria-label={`Redrive dead letter ${shortId(letter.id)}`} onClick={() => redriveOne(letter.id)}>Redrive</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}
