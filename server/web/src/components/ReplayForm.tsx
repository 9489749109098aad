import {useState} from 'react'

import type {Dag, Execution} from '../../../../src/api/schemas.js'
import {api, ApiError} from '../api.js'
import {navigate} from '../use-location.js'
import {ErrorNote} from './ErrorNote.js'

/** `POST /executions/{id}/replay` (docs/reference/server.md): a new execution fed from a stage's stored artefacts. */
export function ReplayForm({execution, dag}: {execution: Execution; dag: Dag | undefined}) {
  const [open, setOpen] = useState(false)
  const [stage, setStage] = useState('')
  const [toRoute, setToRoute] = useState('')
  const [tag, setTag] = useState('')
  const [error, setError] = useState<Error | undefined>()
  const [busy, setBusy] = useState(false)
  if (!open) return <button type="button" onClick={() => setOpen(true)}>Replay from a stage…</button>
  const stages = (dag?.nodes ?? []).flatMap((n) => n.adapters.map((adapter) => ({route: n.route_id, adapter})))
  const submit = async () => {
    setBusy(true)
    setError(undefined)
    try {
      // 201 with the new execution (its replay_source holds the counts and replay_batch_id).
      const replay = await api<Execution>(`/executions/${encodeURIComponent(execution.id)}/replay`, {
        method: 'POST', json: {from_stage: stage, ...(toRoute ? {to_route: toRoute} : {}), ...(tag ? {tag} : {})},
      })
      navigate(`/executions/${encodeURIComponent(replay.id)}`)
    } catch (caught) {
      const e = caught as ApiError
      // An older server has no replay endpoint: say so instead of a bare 404.
      setError(e.status === 405 || (e.status === 404 && e.code === 'NOT_FOUND')
        ? new ApiError(e.status, 'This server does not offer replay (no POST /executions/{id}/replay endpoint).', e.code, 'Update factflow on the server to replay from a stage.')
        : e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="replay" aria-label="Replay from a stage" onSubmit={(e) => { e.preventDefault(); void submit() }}>
      <label>From stage{' '}
        <select required value={stage} onChange={(e) => setStage(e.target.value)}>
          <option value="" disabled>choose…</option>
          {stages.map((s) => <option key={`${s.route}/${s.adapter}`} value={s.adapter}>{s.route} / {s.adapter}</option>)}
        </select>
      </label>
      <label>To route{' '}
        <select value={toRoute} onChange={(e) => setToRoute(e.target.value)}>
          <option value="">next route (default)</option>
          {(dag?.nodes ?? []).map((n) => <option key={n.route_id} value={n.route_id}>{n.route_id}</option>)}
        </select>
      </label>
      <label>Tag <input value={tag} onChange={(e) => setTag(e.target.value)} maxLength={200} /></label>
      <button type="submit" disabled={busy || stage === ''}>Replay</button>
      <button type="button" onClick={() => setOpen(false)}>Close</button>
      <ErrorNote error={error} prefix="Replay failed" />
    </form>
  )
}
