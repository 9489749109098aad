import {query} from '../api.js'
import {formatBytes, formatTime} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {ErrorNote} from './ErrorNote.js'

export interface StorageObject {
  key: string
  size: number
  content_type: string
  last_modified: string
  metadata?: Record<string, unknown>
}

/** A link to the storage page's preview of an object. */
export function ObjectLink({object}: {object: StorageObject}) {
  const name = object.key.split('/').at(-1)
  const folder = object.key.slice(0, object.key.length - (name?.length ?? 0))
  return <Link href={`/storage${query({prefix: folder, key: object.key})}`}>{String(object.metadata?.source_url ?? name)}</Link>
}

/** An execution's stored artefacts (optionally one route's), each linking to its preview. */
export function ArtefactList({executionId, route}: {executionId: string; route: string | undefined}) {
  const list = useApi<{objects: StorageObject[]; total: number}>(`/storage/objects${query({execution_id: executionId, route_id: route, include_metadata: 'true', limit: 1000})}`)
  return (
    <section aria-label="Artefacts">
      <ErrorNote error={list.error} />
      {list.data && list.data.objects.length === 0 ? <p className="muted">No artefacts{route ? ' from this route' : ''}.</p> : null}
      {list.data && list.data.objects.length > 0 ? (
        <table className="grid">
          <thead><tr><th>Artefact</th><th>Route / stage</th><th>Type</th><th className="num">Size</th><th>Stored</th></tr></thead>
          <tbody>
            {list.data.objects.map((o) => (
              <tr key={o.key}>
                <td><ObjectLink object={o} /></td>
                <td>{String(o.metadata?.route_id ?? '')} / {String(o.metadata?.stage ?? '')}</td>
                <td>{o.content_type}</td><td className="num">{formatBytes(o.size)}</td><td>{formatTime(o.last_modified)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.data && list.data.total > list.data.objects.length ? <p className="muted">Showing {list.data.objects.length} of {list.data.total}; browse the rest in Storage.</p> : null}
    </section>
  )
}
