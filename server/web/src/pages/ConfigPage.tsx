import {useEffect, useRef, useState} from 'react'

import type {Config, Execution, ValidationReport} from '../../../../src/api/schemas.js'
import {api, ApiError, query} from '../api.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {navigate} from '../use-location.js'

const VALIDATE_DELAY_MS = 300

/** Offset of the start of 1-based `line` in `text`. */
function lineOffset(text: string, line: number): number {
  let offset = 0
  for (let i = 1; i < line; i++) {
    const next = text.indexOf('\n', offset)
    if (next < 0) return text.length
    offset = next + 1
  }
  return offset
}

/** A config's YAML with its validation report as you type (the server's validator), save, run; or a new config. */
export function ConfigPage({id}: {id: string | undefined}) {
  const stored = useApi<Config>(id === undefined ? undefined : `/configs/${encodeURIComponent(id)}`)
  const [yaml, setYaml] = useState<string | undefined>(id === undefined ? '' : undefined)
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [report, setReport] = useState<ValidationReport | undefined>()
  const [error, setError] = useState<ApiError | undefined>()
  const [busy, setBusy] = useState(false)
  const [tag, setTag] = useState('')
  const [payload, setPayload] = useState('')
  const editor = useRef<HTMLTextAreaElement>(null)
  const gutter = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (stored.data && yaml === undefined) {
      setYaml(stored.data.config_yaml)
      setDescription(stored.data.description ?? '')
      setReport(stored.data.validation_report)
    }
  }, [stored.data, yaml])
  useEffect(() => {
    if (yaml === undefined || yaml.trim() === '') { setReport(undefined); return }
    const controller = new AbortController()
    const timer = setTimeout(() => {
      api<ValidationReport>('/configs/validate', {method: 'POST', json: {config_yaml: yaml}, signal: controller.signal})
        .then(setReport, (caught: Error) => { if (caught.name !== 'AbortError') setError(caught as ApiError) })
    }, VALIDATE_DELAY_MS)
    return () => { clearTimeout(timer); controller.abort() }
  }, [yaml])

  const dirty = stored.data !== undefined && yaml !== stored.data.config_yaml
  const issueLines = new Map<number, string>()
  for (const issue of report?.issues ?? []) if (issue.line !== null && !issueLines.has(issue.line)) issueLines.set(issue.line, issue.severity)
  const lines = (yaml ?? '').split('\n').length

  const goTo = (line: number | null) => {
    const area = editor.current
    if (!area || line === null || yaml === undefined) return
    const start = lineOffset(yaml, line)
    const end = yaml.indexOf('\n', start)
    area.focus()
    area.setSelectionRange(start, end < 0 ? yaml.length : end)
    area.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(area).lineHeight || '18'))
  }
  const run = async (task: () => Promise<void>) => {
    setBusy(true)
    setError(undefined)
    try { await task() } catch (caught) { setError(caught as ApiError) } finally { setBusy(false) }
  }
  const save = () => run(async () => {
    if (id === undefined) {
      const created = await api<Config>('/configs', {method: 'POST', json: {name, config_yaml: yaml, ...(description ? {description} : {})}})
      navigate(`/configs/${created.id}`)
    } else {
      await api<Config>(`/configs/${encodeURIComponent(id)}`, {method: 'PUT', json: {config_yaml: yaml, ...(description ? {description} : {})}})
      setYaml(undefined)
      stored.reload()
    }
  })
  const start = () => run(async () => {
    let body: string | undefined
    if (payload.trim() !== '') {
      try { JSON.parse(payload) } catch { throw new ApiError(0, 'The init payload overrides are not JSON.', undefined, 'Write a JSON object, e.g. {"path": "./docs"}.') }
      body = payload
    }
    const execution = await api<Execution>(`/configs/${encodeURIComponent(id!)}/run${query({tag})}`, {method: 'POST', body, headers: body ? {'content-type': 'application/json'} : {}})
    navigate(`/executions/${execution.id}`)
  })
  const deactivate = () => run(async () => {
    if (!window.confirm('Deactivate this config? Its executions stay.')) return
    await api(`/configs/${encodeURIComponent(id!)}`, {method: 'DELETE'})
    navigate('/configs')
  })

  if (stored.error) return <main><ErrorNote error={stored.error} /><p><Link href="/configs">All configs</Link></p></main>
  if (yaml === undefined) return <main><p className="muted">Loading…</p></main>
  const c = stored.data
  return (
    <main className="config">
      <p className="crumbs"><Link href="/configs">Configs</Link> ›</p>
      <h1>{c ? <>{c.name} <span className="muted">v{c.version}</span></> : 'New config'}</h1>
      <form className="config-form" onSubmit={(e) => { e.preventDefault(); void save() }}>
        {c ? null : <label>Name <input required value={name} onChange={(e) => setName(e.target.value)} pattern="[A-Za-z0-9][A-Za-z0-9._ \-]*" maxLength={200} /></label>}
        <label>Description <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} /></label>
        <div className="editor">
          <div className="gutter" ref={gutter} aria-hidden="true">
            {Array.from({length: lines}, (_, i) => <div key={i} className={issueLines.has(i + 1) ? `issue-${issueLines.get(i + 1)}` : undefined}>{i + 1}</div>)}
          </div>
          <textarea ref={editor} aria-label="Pipeline YAML" spellCheck={false} value={yaml} wrap="off"
            onChange={(e) => setYaml(e.target.value)} onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop }}
            onKeyDown={(e) => {
              // Tab inserts two spaces (YAML indents with spaces); Escape leaves the editor for the keyboard user.
              if (e.key === 'Tab' && !e.shiftKey) {
                e.preventDefault()
                const area = e.currentTarget
                const {selectionStart: s, selectionEnd: end} = area
                setYaml(yaml.slice(0, s) + '  ' + yaml.slice(end))
                requestAnimationFrame(() => area.setSelectionRange(s + 2, s + 2))
              } else if (e.key === 'Escape') {
                e.currentTarget.blur()
              }
            }} />
        </div>
        <p className="muted small">Tab indents; Escape leaves the editor.</p>
        <ValidationPanel report={report} onIssue={goTo} />
        <div className="actions">
          <button type="submit" disabled={busy || yaml.trim() === '' || (c !== undefined && !dirty && description === (c.description ?? ''))}>{c ? 'Save as new version' : 'Create'}</button>
          {c ? <button type="button" disabled={busy} onClick={() => void deactivate()}>Deactivate</button> : null}
        </div>
      </form>
      <ErrorNote error={error} />
      {c ? (
        <form className="run" aria-label="Run" onSubmit={(e) => { e.preventDefault(); void start() }}>
          <h2>Run</h2>
          {!c.is_runnable ? <p className="bad">This config is not runnable: fix the errors above and save.</p> : null}
          {dirty ? <p className="muted">Unsaved changes: a run uses the saved version.</p> : null}
          <label>Tag <input value={tag} onChange={(e) => setTag(e.target.value)} maxLength={200} placeholder="optional, unique" /></label>
          <label>Init payload overrides (JSON) <textarea aria-label="Init payload overrides" rows={3} value={payload} onChange={(e) => setPayload(e.target.value)} placeholder='{"path": "./docs"}' spellCheck={false} /></label>
          <button type="submit" disabled={busy || !c.is_runnable}>Run</button>
        </form>
      ) : null}
    </main>
  )
}

function ValidationPanel({report, onIssue}: {report: ValidationReport | undefined; onIssue: (line: number | null) => void}) {
  if (!report) return null
  return (
    <section className="validation" aria-live="polite" aria-label="Validation">
      <p>{report.is_valid ? <span className="badge status-completed">valid</span> : <span className="badge status-failed">invalid</span>} {report.error_count} error{report.error_count === 1 ? '' : 's'}, {report.warning_count} warning{report.warning_count === 1 ? '' : 's'}</p>
      {report.issues.length > 0 ? (
        <ul className="issues">
          {report.issues.map((issue, i) => (
            <li key={i} className={`issue-${issue.severity}`}>
              <button type="button" className="link" onClick={() => onIssue(issue.line)} disabled={issue.line === null}>
                {issue.line !== null ? `line ${issue.line}${issue.column !== null ? `:${issue.column}` : ''}` : issue.path || 'file'}
              </button>{' '}
              <strong>{issue.severity}</strong> <code>{issue.code}</code> {issue.message}{issue.suggestion ? <span className="muted"> — {issue.suggestion}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}
