import {useEffect, useState} from 'react'

import type {ConfigList, Execution, ExecutionList} from '../../../../src/api/schemas.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {executionsListPath, PAGE_SIZE} from '../executions-query.js'
import {Pager} from '../components/Pager.js'
import {StatusBadge} from '../components/StatusBadge.js'
import type {RouteCounters} from '../execution-events.js'
import {totalsOf} from '../execution-events.js'
import {between, formatDuration, formatTime, shortId} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {navigate, useLocation, withQuery} from '../use-location.js'

const STATUSES = ['running', 'completed', 'failed', 'cancelled', 'interrupted']

/** Message counts of an execution: the stored summary once it ended, the live counters while it runs. */
export function countsOf(execution: Execution): {total: number; completed: number; failed: number; dead_lettered: number} | undefined {
  const messages = (execution.summary as {messages?: {total: number; completed: number; failed: number; dead_lettered: number}} | null)?.messages
  if (messages) return messages
  if (execution.routes) {
    const t = totalsOf(execution.routes as unknown as Record<string, RouteCounters>)
    return {total: t.received, completed: t.completed, failed: t.failed, dead_lettered: t.dead_lettered}
  }
  return undefined
}

export function ExecutionsPage() {
  const {path, search} = useLocation()
  const status = search.get('status') ?? ''
  const configId = search.get('config_id') ?? ''
  const tag = search.get('tag') ?? ''
  const offset = Number(search.get('offset') ?? 0) || 0
  const list = useApi<ExecutionList>(executionsListPath({status, config_id: configId, tag, offset}), 5000)
  const configs = useApi<ConfigList>('/configs?active=all&limit=1000')
  const set = (changes: Record<string, string | number | undefined>, replace = false) => navigate(withQuery(path, search, {offset: undefined, ...changes}), {replace})
  // The tag box filters as one types (after a pause), replacing the history entry rather than adding one per key.
  const [tagDraft, setTagDraft] = useState(tag)
  useEffect(() => setTagDraft(tag), [tag])
  useEffect(() => {
    if (tagDraft.trim() === tag) return
    const timer = setTimeout(() => set({tag: tagDraft.trim()}, true), 300)
    return () => clearTimeout(timer)
  })

  return (
    <main>
      <h1>Executions</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter executions">
        <label>Status{' '}
          <select value={status} onChange={(e) => set({status: e.target.value})}>
            <option value="">any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Pipeline{' '}
          <select value={configId} onChange={(e) => set({config_id: e.target.value})}>
            <option value="">any</option>
            {(configs.data?.configs ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
        <label>Tag{' '}
          <input type="search" value={tagDraft} placeholder="starts with…" onChange={(e) => setTagDraft(e.target.value)} />
        </label>
        {list.data ? <span className="muted">{list.data.total} execution{list.data.total === 1 ? '' : 's'}</span> : null}
      </form>
      <ErrorNote error={list.error} />
      <table className="grid executions">
        <thead>
          <tr><th>Status</th><th>Pipeline</th><th>Tag</th><th>Started</th><th className="num">Duration</th><th className="num">Messages</th><th className="num">Failed</th><th className="num">Dead letters</th><th>Id</th></tr>
        </thead>
        <tbody>
          {(list.data?.executions ?? []).map((e) => {
            const counts = countsOf(e)
            return (
              <tr key={e.id} data-status={e.status}>
                <td><StatusBadge status={e.status} /></td>
                <td><Link href={`/executions/${encodeURIComponent(e.id)}`}>{e.config_name}</Link></td>
                <td>{e.tag ?? ''}</td>
                <td>{formatTime(e.started_at ?? e.created_at)}</td>
                <td className="num">{formatDuration(between(e.started_at, e.completed_at ?? (e.status === 'running' ? undefined : e.started_at)))}</td>
                <td className="num">{counts ? `${counts.completed}/${counts.total}` : '—'}</td>
                <td className={`num${counts?.failed ? ' bad' : ''}`}>{counts?.failed ?? '—'}</td>
                <td className={`num${counts?.dead_lettered ? ' bad' : ''}`}>{counts?.dead_lettered ?? '—'}</td>
                <td><code title={e.id}>{shortId(e.id)}</code></td>
              </tr>
            )
          })}
          {list.data && list.data.executions.length === 0 ? <tr><td colSpan={9} className="muted">No executions{status || configId || tag ? ' match these filters' : ' yet: run a config from the Configs page'}.</td></tr> : null}
        </tbody>
      </table>
      {list.data ? <Pager total={list.data.total} offset={offset} limit={PAGE_SIZE} onOffset={(o) => set({offset: o || undefined})} /> : null}
    </main>
  )
}
