import {useEffect, useState} from 'react'

import type {Dag, Execution} from '../../../../src/api/schemas.js'
import {api, ApiError} from '../api.js'
import {ArtefactList} from '../components/ArtefactList.js'
import {DagGraph} from '../components/DagGraph.js'
import {DeadLetterPanel} from '../components/DeadLetterPanel.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {EventList, FailureList} from '../components/EventList.js'
import {LineageView} from '../components/LineageView.js'
import {ReplayForm} from '../components/ReplayForm.js'
import {ReplayList} from '../components/ReplayList.js'
import {RouteTable} from '../components/RouteTable.js'
import {StatusBadge} from '../components/StatusBadge.js'
import {type RouteCounters, totalsOf} from '../execution-events.js'
import {between, formatDuration, formatTime} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {useExecutionStream} from '../use-execution-stream.js'
import {navigate, useLocation, withQuery} from '../use-location.js'

const TABS = [
  {id: 'overview', label: 'Overview'},
  {id: 'graph', label: 'Graph'},
  {id: 'lineage', label: 'Lineage'},
  {id: 'artefacts', label: 'Artefacts'},
]

/** One execution, live from its event stream: header and actions, then the tab's view. */
export function ExecutionPage({id, tab}: {id: string; tab: string}) {
  const {path, search} = useLocation()
  const route = search.get('route') ?? undefined
  const execution = useApi<Execution>(`/executions/${encodeURIComponent(id)}`)
  const dag = useApi<Dag>(`/executions/${encodeURIComponent(id)}/dag`)
  // Bumped when a redrive starts the ended execution again: the stream is followed anew.
  const [epoch, setEpoch] = useState(0)
  const live = useExecutionStream(execution.data?.id, epoch)
  const [actionError, setActionError] = useState<ApiError | undefined>()
  const [busy, setBusy] = useState(false)
  const [now, setNow] = useState(Date.now())

  const status = live.ended ? live.status : (execution.data?.status === 'running' ? (live.status ?? 'running') : execution.data?.status)
  const running = status === 'running'
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [running])
  // The stored row (completed_at, summary, error) is read again once the stream says it ended.
  const {reload} = execution
  useEffect(() => { if (live.ended) reload() }, [live.ended, reload])

  const e = execution.data
  if (execution.error && !e) return <main><ErrorNote error={execution.error} /><p><Link href="/">All executions</Link></p></main>
  if (!e) return <main><p className="muted">Loading…</p></main>

  const stored = ((e.summary as {routes?: Record<string, RouteCounters>} | null)?.routes) ?? (e.routes as Record<string, RouteCounters> | undefined) ?? {}
  const routes = Object.keys(live.routes).length > 0 ? live.routes : stored
  const totals = totalsOf(routes)
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true)
    setActionError(undefined)
    try { await action(); execution.reload() } catch (error) { setActionError(error as ApiError) } finally { setBusy(false) }
  }
  const setRouteState = (routeId: string, state: 'paused' | 'running') => act(() => api(`/pipelines/${encodeURIComponent(routeId)}?execution_id=${encodeURIComponent(e.id)}`, {method: 'PATCH', json: {state}}))
  const base = `/executions/${encodeURIComponent(id)}`
  const onRedriven = (result: {mode: string}) => {
    if (result.mode === 'restarted') setEpoch((n) => n + 1)
    execution.reload()
  }
  const filterRoute = (routeId: string | undefined) => navigate(withQuery(path, search, {route: routeId === route ? undefined : routeId}))

  return (
    <main className="execution">
      <p className="crumbs"><Link href="/">Executions</Link> ›</p>
      <h1>{e.config_name} <StatusBadge status={status} /></h1>
      <dl className="facts">
        <div><dt>Id</dt><dd><code>{e.id}</code></dd></div>
        {e.tag ? <div><dt>Tag</dt><dd>{e.tag}</dd></div> : null}
        <div><dt>Started</dt><dd>{formatTime(e.started_at ?? e.created_at)}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(between(e.started_at, e.completed_at ?? (running ? undefined : e.started_at), now))}</dd></div>
        <div><dt>Messages</dt><dd data-testid="totals">{totals.completed} completed of {totals.received}{totals.failed ? `, ${totals.failed} failed attempts` : ''}{totals.dead_lettered ? `, ${totals.dead_lettered} dead-lettered` : ''}</dd></div>
        {e.parent_execution_id ? <div><dt>Replay of</dt><dd><Link href={`/executions/${e.parent_execution_id}`}><code>{e.parent_execution_id}</code></Link></dd></div> : null}
        <div><dt>Stream</dt><dd className="muted">{live.connection}</dd></div>
      </dl>
      {live.terminalError || e.error_info ? <div className="error-note" role="alert">{live.terminalError ?? String((e.error_info as {message?: string}).message ?? JSON.stringify(e.error_info))}</div> : null}
      <div className="actions">
        {running ? <button type="button" disabled={busy} onClick={() => act(() => api(`/executions/${encodeURIComponent(e.id)}/cancel`, {method: "POST"}))}>Cancel execution</button> : null}
        {status === 'interrupted' ? <button type="button" disabled={busy} onClick={() => act(() => api(`/executions/${encodeURIComponent(e.id)}/resume`, {method: 'POST'}))}>Resume execution</button> : null}
        {!running ? <ReplayForm execution={e} dag={dag.data} /> : null}
      </div>
      <ErrorNote error={actionError} />
      <nav className="tabs" aria-label="Execution views">
        {TABS.map((t) => <Link key={t.id} href={withQuery(t.id === 'overview' ? base : `${base}/${t.id}`, search, {})} aria-current={tab === t.id ? 'page' : undefined}>{t.label}</Link>)}
        {route ? <span className="chip">route: {route} <button type="button" aria-label="Clear the route filter" onClick={() => filterRoute(undefined)}>×</button></span> : null}
      </nav>
      {tab === 'overview' ? (
        <>
          <RouteTable routes={routes} rates={live.rates} circuits={live.circuits} running={running} busy={busy} selected={route} onSelect={filterRoute} onSetState={setRouteState} />
          <div className="columns">
            <section aria-labelledby="failures-h"><h2 id="failures-h">Failures</h2><FailureList failures={live.failures} route={route} /></section>
            <section aria-labelledby="events-h"><h2 id="events-h">Recent events</h2><EventList events={live.recent} route={route} /></section>
          </div>
          <DeadLetterPanel executionId={e.id} route={route} version={`${epoch}:${status ?? ''}:${totals.dead_lettered}`} onRedriven={onRedriven} />
          <ReplayList executionId={e.id} version={status ?? ''} />
        </>
      ) : null}
      {tab === 'graph' ? (
        dag.data ? <DagGraph dag={dag.data} routes={routes} rates={live.rates} selected={route} onSelect={filterRoute} /> : <ErrorNote error={dag.error} />
      ) : null}
      {tab === 'lineage' ? <LineageView executionId={e.id} route={route} ended={!running} /> : null}
      {tab === 'artefacts' ? <ArtefactList executionId={e.id} route={route} /> : null}
    </main>
  )
}
