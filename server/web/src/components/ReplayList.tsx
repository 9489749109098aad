import type {ReplayList as Replays} from '../../../../src/api/schemas.js'
import {formatTime, shortId} from '../format.js'
import {Link} from '../Link.js'
import {useApi, useReloadOn} from '../use-api.js'
import {StatusBadge} from './StatusBadge.js'

/** The execution's replays (`GET /executions/{id}/replays`, newest first), each linking to its execution; read again when `version` changes. */
export function ReplayList({executionId, version}: {executionId: string; version: string}) {
  const replays = useApi<Replays>(`/executions/${encodeURIComponent(executionId)}/replays?limit=100`)
  const {reload} = replays
  useReloadOn(reload, version)
  // An older server without replay answers 404: nothing to list then.
  const items = replays.data?.replays ?? []
  if (items.length === 0) return null
  return (
    <section aria-labelledby="replays-h" className="replays">
      <h2 id="replays-h">Replays <span className="muted small">{replays.data!.total}</span></h2>
      <ul>
        {items.map((r) => {
          const source = r.replay_source as {from_stage?: string} | null
          return (
            <li key={r.id}>
              <StatusBadge status={r.status} />{' '}
              <Link href={`/executions/${encodeURIComponent(r.id)}`}><code title={r.id}>{r.tag ?? shortId(r.id)}</code></Link>
              {source?.from_stage ? <span className="muted"> from stage {source.from_stage}</span> : null}
              <span className="muted small"> · {formatTime(r.created_at)}</span>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
