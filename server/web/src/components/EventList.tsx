import type {FailureItem, StreamEvent} from '../execution-events.js'

/** What one stream event says in a line. */
export function describeEvent(event: StreamEvent): string {
  const d = event.data
  switch (event.event) {
    case 'execution.started': return `started: routes ${(d.routes as string[] | undefined)?.join(', ') ?? ''}`
    case 'message.failed': return `${String(d.route_id)}${d.stage ? `/${String(d.stage)}` : ''} attempt ${String(d.attempt ?? '')}: ${String((d.error as {message?: string} | undefined)?.message ?? '')}${d.will_retry ? ' (will retry)' : ''}`
    case 'message.dead_lettered': {
      const letter = d.dead_letter as {route_id?: string; error?: {message?: string}} | undefined
      return `${letter?.route_id ?? ''}: ${letter?.error?.message ?? ''}`
    }
    case 'route.paused': case 'route.resumed': return String(d.route_id)
    case 'circuit.opened': case 'circuit.closed': case 'circuit.half_open': return `${String(d.route_id)}/${String(d.stage)}`
    default: return d.error ? String(d.error) : String(d.status ?? '')
  }
}

const routeOf = (event: StreamEvent) => (event.data.route_id ?? (event.data.dead_letter as {route_id?: string} | undefined)?.route_id) as string | undefined

export function EventList({events, route}: {events: StreamEvent[]; route: string | undefined}) {
  const shown = route ? events.filter((e) => routeOf(e) === route) : events
  if (shown.length === 0) return <p className="muted">No events{route ? ' for this route' : ''}.</p>
  return (
    <ol className="events" aria-live="polite" aria-relevant="additions">
      {shown.slice(0, 100).map((e) => (
        <li key={e.id} data-event={e.event}>
          <time className="muted">{typeof e.data.timestamp === 'string' ? new Date(e.data.timestamp).toLocaleTimeString() : ''}</time> <span className={`ev ev-${e.event.split('.')[0]}`}>{e.event}</span> {describeEvent(e)}
        </li>
      ))}
    </ol>
  )
}

export function FailureList({failures, route}: {failures: FailureItem[]; route: string | undefined}) {
  const shown = route ? failures.filter((f) => f.route_id === route) : failures
  if (shown.length === 0) return <p className="muted">No failures{route ? ' on this route' : ''}.</p>
  return (
    <ul className="failures">
      {shown.map((f) => (
        <li key={f.id}>
          <strong>{f.route_id}{f.stage ? `/${f.stage}` : ''}</strong>{' '}
          {f.dead_lettered ? <span className="badge status-failed">dead-lettered</span> : f.will_retry ? <span className="badge status-running">will retry</span> : <span className="badge status-failed">failed</span>}
          {f.error_code ? <code> {f.error_code}</code> : null}
          <div>{f.message}</div>
        </li>
      ))}
    </ul>
  )
}
