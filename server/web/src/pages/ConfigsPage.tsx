import type {ConfigList} from '../../../../src/api/schemas.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {formatTime} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {navigate, useLocation, withQuery} from '../use-location.js'

/** Stored configs: name, version, validity; a new one. */
export function ConfigsPage() {
  const {path, search} = useLocation()
  const all = search.get('active') === 'all'
  const list = useApi<ConfigList>(`/configs?limit=1000${all ? '&active=all' : ''}`)
  return (
    <main>
      <h1>Configs</h1>
      <div className="toolbar">
        <Link href="/configs/new" className="button">New config</Link>
        <label><input type="checkbox" checked={all} onChange={(e) => navigate(withQuery(path, search, {active: e.target.checked ? 'all' : undefined}), {replace: true})} /> include deactivated</label>
      </div>
      <ErrorNote error={list.error} />
      <table className="grid">
        <thead><tr><th>Name</th><th>Description</th><th className="num">Version</th><th>Validation</th><th>Updated</th></tr></thead>
        <tbody>
          {(list.data?.configs ?? []).map((c) => (
            <tr key={c.id}>
              <td><Link href={`/configs/${c.id}`}>{c.name}</Link>{c.is_active ? '' : <span className="muted"> (deactivated)</span>}</td>
              <td>{c.description ?? ''}</td>
              <td className="num">{c.version}</td>
              <td>{c.validation_report ? (c.validation_report.is_valid ? <span className="badge status-completed">valid</span> : <span className="badge status-failed">{c.validation_report.error_count} error{c.validation_report.error_count === 1 ? '' : 's'}</span>) : '—'}
                {c.validation_report?.warning_count ? <span className="badge status-interrupted">{c.validation_report.warning_count} warning{c.validation_report.warning_count === 1 ? '' : 's'}</span> : null}</td>
              <td>{formatTime(c.updated_at)}</td>
            </tr>
          ))}
          {list.data && list.data.configs.length === 0 ? <tr><td colSpan={5} className="muted">No configs yet: create one from a pipeline YAML (the shipped ones are under config/pipelines/).</td></tr> : null}
        </tbody>
      </table>
    </main>
  )
}
