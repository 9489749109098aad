import {type KeyboardEvent, useEffect, useMemo, useRef, useState} from 'react'

import {api, ApiError, query} from '../api.js'
import {formatDuration, formatTime, shortId} from '../format.js'
import {buildLineageTree, failedMessages, type LineageRow, type MessageNode, pathTo, visibleNodes} from '../lineage-tree.js'
import {useApi} from '../use-api.js'
import {ErrorNote} from './ErrorNote.js'
import {ObjectLink, type StorageObject} from './ArtefactList.js'
import {StatusBadge} from './StatusBadge.js'

const PAGE = 1000

interface LineagePage { lineage: LineageRow[]; total: number; has_more: boolean }

/** The execution's message tree: expand/collapse (mouse or arrow keys), jump to failures, a message's stages, artefacts and chain. */
export function LineageView({executionId, route, ended}: {executionId: string; route: string | undefined; ended: boolean}) {
  const [rows, setRows] = useState<LineageRow[]>([])
  const [total, setTotal] = useState<number | undefined>()
  const [error, setError] = useState<ApiError | undefined>()
  const [more, setMore] = useState(false)
  const [expanded, setExpanded] = useState<Set<string>>(new Set())
  const [selected, setSelected] = useState<string | undefined>()
  const [failureIndex, setFailureIndex] = useState(-1)
  const treeRef = useRef<HTMLDivElement>(null)
  const opened = useRef(false)

  const load = async (offset: number) => {
    try {
      const page = await api<LineagePage>(`/executions/${encodeURIComponent(executionId)}/lineage${query({limit: PAGE, offset, route_id: route, sort_by: 'started_at', sort_order: 'asc'})}`)
      setRows((previous) => (offset === 0 ? page.lineage : [...previous, ...page.lineage]))
      setTotal(page.total)
      setMore(page.has_more)
      setError(undefined)
    } catch (caught) {
      setError(caught as ApiError)
    }
  }
  useEffect(() => {
    setRows([])
    setSelected(undefined)
    opened.current = false
    void load(0)
  }, [executionId, route, ended])

  const tree = useMemo(() => buildLineageTree(rows), [rows])
  const failed = useMemo(() => failedMessages(tree), [tree])
  const visible = useMemo(() => visibleNodes(tree, expanded), [tree, expanded])
  // Roots open once when the first rows arrive, so the tree does not start as a single line.
  useEffect(() => {
    if (opened.current || tree.roots.length === 0) return
    opened.current = true
    if (tree.roots.length <= 20) setExpanded(new Set(tree.roots.map((r) => r.message_id)))
  }, [tree])

  const reveal = (messageId: string) => {
    setExpanded((previous) => new Set([...previous, ...pathTo(tree, messageId).slice(0, -1)]))
    setSelected(messageId)
    requestAnimationFrame(() => {
      const element = treeRef.current?.querySelector<HTMLElement>(`[data-message="${CSS.escape(messageId)}"]`)
      element?.scrollIntoView({block: 'nearest'})
      element?.focus()
    })
  }
  const toggle = (id: string) => setExpanded((previous) => {
    const next = new Set(previous)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    return next
  })
  const onKey = (event: KeyboardEvent) => {
    const index = visible.findIndex((v) => v.node.message_id === selected)
    const current = visible[index]?.node
    const move = (to: number) => {
      const target = visible[Math.max(0, Math.min(visible.length - 1, to))]
      if (target) reveal(target.node.message_id)
    }
    switch (event.key) {
      case 'ArrowDown': move(index + 1); break
      case 'ArrowUp': move(index - 1); break
      case 'Home': move(0); break
      case 'End': move(visible.length - 1); break
      case 'ArrowRight':
        if (current && current.children.length > 0 && !expanded.has(current.message_id)) toggle(current.message_id)
        else move(index + 1)
        break
      case 'ArrowLeft':
        if (current && expanded.has(current.message_id)) toggle(current.message_id)
        else if (current?.parent_id && tree.byMessage.has(current.parent_id)) reveal(current.parent_id)
        break
      default: return
    }
    event.preventDefault()
  }
  const jump = (step: 1 | -1) => {
    if (failed.length === 0) return
    const next = (failureIndex + step + failed.length) % failed.length
    setFailureIndex(next)
    reveal(failed[next]!.message_id)
  }

  return (
    <section className="lineage" aria-label="Lineage">
      <div className="toolbar">
        <span className="muted">{tree.byMessage.size} messages · {rows.length}{total !== undefined && total > rows.length ? ` of ${total}` : ''} stage rows{route ? ` on route ${route}` : ''}</span>
        <button type="button" onClick={() => setExpanded(new Set(tree.byMessage.keys()))}>Expand all</button>
        <button type="button" onClick={() => setExpanded(new Set())}>Collapse all</button>
        <button type="button" disabled={failed.length === 0} onClick={() => jump(1)}>Next failure{failed.length ? ` (${failureIndex + 1 > 0 ? `${failureIndex + 1}/` : ''}${failed.length})` : ''}</button>
        <button type="button" disabled={failed.length === 0} onClick={() => jump(-1)}>Previous failure</button>
        {more ? <button type="button" onClick={() => void load(rows.length)}>Load more</button> : null}
      </div>
      <ErrorNote error={error} />
      <div className="split">
        <div className="tree" role="tree" aria-label="Messages" ref={treeRef} onKeyDown={onKey}>
          {visible.length === 0 ? <p className="muted">No lineage rows{route ? ' on this route' : ''} yet.</p> : null}
          {visible.map(({node, depth}, i) => (
            <div key={node.message_id} role="treeitem" aria-level={depth + 1} aria-selected={selected === node.message_id}
              aria-expanded={node.children.length > 0 ? expanded.has(node.message_id) : undefined}
              tabIndex={selected === node.message_id || (selected === undefined && i === 0) ? 0 : -1}
              data-message={node.message_id} data-status={node.status} className="treeitem" style={{paddingLeft: `${depth * 1.2 + 0.3}em`}}
              onClick={() => setSelected(node.message_id)} onFocus={() => setSelected(node.message_id)}>
              <button type="button" className="twisty" tabIndex={-1} aria-hidden="true" disabled={node.children.length === 0}
                onClick={(e) => { e.stopPropagation(); toggle(node.message_id) }}>{node.children.length === 0 ? '·' : expanded.has(node.message_id) ? '▾' : '▸'}</button>
              <strong>{node.route_id}</strong> <span className="muted">{node.rows.map((r) => r.stage_name).join(' → ')}</span>{' '}
              <StatusBadge status={node.status} /> <span className="muted">{formatDuration(node.duration_ms)}</span>
              {node.children.length > 0 ? <span className="muted"> · {node.children.length} child{node.children.length === 1 ? '' : 'ren'}</span> : null}
              {node.failures > (node.status === 'failed' ? 1 : 0) ? <span className="bad"> · {node.failures - (node.status === 'failed' ? 1 : 0)} failed below</span> : null}
            </div>
          ))}
        </div>
        <MessageDetails node={selected ? tree.byMessage.get(selected) : undefined} executionId={executionId} />
      </div>
    </section>
  )
}

interface Chain { ancestors: Array<LineageRow & {depth: number}>; descendants: Array<LineageRow & {depth: number}> }

function MessageDetails({node, executionId}: {node: MessageNode | undefined; executionId: string}) {
  const objects = useApi<{objects: StorageObject[]}>(node ? `/storage/objects${query({execution_id: executionId, include_metadata: 'true', limit: 1000})}` : undefined)
  const [chain, setChain] = useState<{for: string; chain?: Chain; error?: ApiError}>()
  if (!node) return <aside className="details muted">Select a message to see its stages, error, timing, input hash and artefacts.</aside>
  const artefacts = (objects.data?.objects ?? []).filter((o) => o.metadata?.message_id === node.message_id)
  const first = node.rows[0]!
  const showChain = async () => {
    try { setChain({for: node.message_id, chain: await api<Chain>(`/lineage/${encodeURIComponent(first.id)}/chain`)}) } catch (error) { setChain({for: node.message_id, error: error as ApiError}) }
  }
  return (
    <aside className="details" aria-label="Message details">
      <h3>Message <code title={node.message_id}>{shortId(node.message_id)}</code> <StatusBadge status={node.status} /></h3>
      <p className="muted">route {node.route_id} · started {formatTime(node.started_at)} · {formatDuration(node.duration_ms)}{node.parent_id ? <> · parent <code>{shortId(node.parent_id)}</code></> : ' · root'}</p>
      <table className="grid">
        <thead><tr><th>Stage</th><th>Status</th><th className="num">Duration</th><th>Input hash</th></tr></thead>
        <tbody>
          {node.rows.map((r) => (
            <tr key={r.id}><td>{r.stage_name}</td><td><StatusBadge status={r.stage_status} /></td><td className="num">{formatDuration(r.duration_ms)}</td><td><code>{r.stage_input_hash ?? '—'}</code></td></tr>
          ))}
        </tbody>
      </table>
      {node.rows.filter((r) => r.error_info).map((r) => (
        <div key={r.id} className="error-note" role="note"><strong>{r.stage_name}:</strong> {String(r.error_info!.message ?? '')}{r.error_info!.code ? <code> {String(r.error_info!.code)}</code> : null}
          <pre>{JSON.stringify(r.error_info, null, 2)}</pre></div>
      ))}
      <h4>Artefacts</h4>
      {artefacts.length === 0 ? <p className="muted">{objects.loading ? 'Loading…' : 'None stored by this message.'}</p> : (
        <ul>{artefacts.map((o) => <li key={o.key}><ObjectLink object={o} /></li>)}</ul>
      )}
      {node.rows.some((r) => r.metadata) ? <details><summary>Metadata</summary><pre>{JSON.stringify(Object.fromEntries(node.rows.filter((r) => r.metadata).map((r) => [r.stage_name, r.metadata])), null, 2)}</pre></details> : null}
      <button type="button" onClick={() => void showChain()}>Show chain (root → leaves)</button>
      {chain?.for === node.message_id ? (
        chain.error ? <ErrorNote error={chain.error} /> : (
          <ol className="chain">
            {[...chain.chain!.ancestors, ...node.rows.map((r) => ({...r, depth: 0})), ...chain.chain!.descendants].map((r) => (
              <li key={r.id} style={{marginLeft: `${Math.max(0, r.depth) * 0.8}em`}}>{r.route_id}/{r.stage_name} <StatusBadge status={r.stage_status} /> <code>{shortId(r.message_id)}</code></li>
            ))}
          </ol>
        )
      ) : null}
    </aside>
  )
}
