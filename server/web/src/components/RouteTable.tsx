import {formatElements} from '../../../../src/ui/run-progress-model.js'
import type {RouteCounters} from '../execution-events.js'
import {formatRate} from '../format.js'

interface RouteTableProps {
  routes: Record<string, RouteCounters>
  rates: Record<string, number>
  circuits: Record<string, string>
  running: boolean
  busy: boolean
  selected: string | undefined
  onSelect: (route: string) => void
  onSetState: (route: string, state: 'paused' | 'running') => void
}

/** Per-route counters and rates; a route name filters the page to it; pause/resume while running. */
export function RouteTable({routes, rates, circuits, running, busy, selected, onSelect, onSetState}: RouteTableProps) {
  const entries = Object.entries(routes)
  if (entries.length === 0) return <p className="muted">No counters yet.</p>
  return (
    <table className="grid routes" aria-label="Routes">
      <thead>
        <tr><th>Route</th><th className="num">Received</th><th className="num">Completed</th><th className="num">Failed</th><th className="num">Dead letters</th><th className="num">In flight</th><th className="num">Elements</th><th className="num">Rate</th><th>State</th>{running ? <th /> : null}</tr>
      </thead>
      <tbody>
        {entries.map(([route, c]) => {
          const open = Object.entries(circuits).filter(([key, state]) => key.startsWith(`${route}/`) && state !== 'closed')
          return (
            <tr key={route} data-route={route} aria-selected={selected === route}>
              <td><button type="button" className="link" onClick={() => onSelect(route)} aria-pressed={selected === route}>{route}</button></td>
              <td className="num">{c.received}</td>
              <td className="num" data-testid={`completed-${route}`}>{c.completed}</td>
              <td className={`num${c.failed ? ' bad' : ''}`}>{c.failed}</td>
              <td className={`num${c.dead_lettered ? ' bad' : ''}`}>{c.dead_lettered}</td>
              <td className="num">{c.in_flight ?? 0}</td>
              <td className="num" data-testid={`elements-${route}`}>{formatElements(c)}</td>
              <td className="num">{formatRate(rates[route])}</td>
              <td>{c.paused ? <span className="badge status-paused">paused</span> : running ? 'running' : ''}{open.map(([key, state]) => <span key={key} className="badge status-failed" title={key}>circuit {state}</span>)}</td>
              {running ? (
                <td><button type="button" disabled={busy} onClick={() => onSetState(route, c.paused ? 'running' : 'paused')}>{c.paused ? 'Resume' : 'Pause'} {route}</button></td>
              ) : null}
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
