import {useMemo} from 'react'

import {layoutDag, type DagInput} from '../dag-layout.js'
import type {RouteCounters} from '../execution-events.js'
import {formatRate} from '../format.js'

const SIZE = {nodeWidth: 190, nodeHeight: 84, gapX: 70, gapY: 28}
const PAD = 24

/** Text cut to fit a node (SVG text does not wrap); the full text is in the node's tooltip. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** Routes as nodes, queues as edges, each node with its live counts; a node filters the page to its route. */
export function DagGraph({dag, routes, rates, selected, onSelect}: {
  dag: DagInput; routes: Record<string, RouteCounters>; rates: Record<string, number>; selected: string | undefined; onSelect: (route: string) => void
}) {
  const layout = useMemo(() => layoutDag(dag, SIZE), [dag])
  const names = new Map(dag.nodes.map((n) => [n.route_id, n]))
  return (
    <figure className="dag">
      <svg role="group" aria-label="Pipeline graph" viewBox={`${-PAD} ${-PAD - 16} ${layout.width + 2 * PAD} ${layout.height + 2 * PAD + 16}`}
        width={layout.width + 2 * PAD} height={layout.height + 2 * PAD + 16}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <path key={`${e.from}-${e.to}-${e.queue}`} d={e.path} className={`edge${e.back ? ' back' : ''}`} markerEnd="url(#arrow)"><title>{e.queue}</title></path>
        ))}
        {layout.nodes.map((n) => {
          const c = routes[n.id]
          const node = names.get(n.id)!
          const state = c?.paused ? 'paused' : c && (c.dead_lettered > 0 || c.failed > 0) ? 'failing' : c && c.in_flight > 0 ? 'busy' : 'idle'
          return (
            <g key={n.id} transform={`translate(${n.x},${n.y})`} className={`node node-${state}${selected === n.id ? ' selected' : ''}`}
              role="button" tabIndex={0} aria-pressed={selected === n.id} data-route={n.id}
              aria-label={`${n.id}: ${c ? `${c.completed} of ${c.received} completed, ${c.failed} failed` : 'no counts'}`}
              onClick={() => onSelect(n.id)} onKeyDown={(ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(n.id) } }}>
              <rect width={SIZE.nodeWidth} height={SIZE.nodeHeight} rx="8" />
              <title>{`${n.id}${node.name !== n.id ? ` — ${node.name}` : ''}\n${node.adapters.join(' → ')}`}</title>
              <text x="10" y="20" className="title">{clip(node.name !== n.id ? `${n.id} · ${node.name}` : n.id, 24)}</text>
              <text x="10" y="38" className="sub">{clip(node.adapters.join(' → '), 30)}</text>
              <text x="10" y="58" className="count">{c ? `${c.completed}/${c.received} done` : '—'}{c?.in_flight ? ` · ${c.in_flight} in flight` : ''}</text>
              <text x="10" y="75" className={`sub${c && (c.failed || c.dead_lettered) ? ' bad' : ''}`}>
                {c ? `${c.failed} failed · ${c.dead_lettered} dlq · ${formatRate(rates[n.id])}` : ''}{c?.paused ? ' · paused' : ''}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption className="muted">Routes as nodes, queues as edges (hover an edge for its queue). Select a route to filter the events, lineage and artefacts.</figcaption>
    </figure>
  )
}
