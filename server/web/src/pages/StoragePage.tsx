import {lazy, Suspense, useEffect, useState} from 'react'

import {ApiError, objectUrl, query} from '../api.js'
import type {StorageObject} from '../components/ArtefactList.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {Pager} from '../components/Pager.js'
import {formatBytes, formatTime} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {navigate, useLocation, withQuery} from '../use-location.js'

const PAGE_SIZE = 100
/** Bytes of a text artefact shown in the preview (a Range request; the download has the rest). */
const PREVIEW_BYTES = 256 * 1024

interface Listing { objects: StorageObject[]; common_prefixes: string[]; total: number }

/** Browse storage by prefix (folders from the `/` delimiter), preview an object, download it. */
export function StoragePage() {
  const {path, search} = useLocation()
  const prefix = search.get('prefix') ?? ''
  const key = search.get('key') ?? undefined
  const offset = Number(search.get('offset') ?? 0) || 0
  const listing = useApi<Listing>(`/storage/objects${query({prefix, delimiter: '/', limit: PAGE_SIZE, offset})}`)
  const parts = prefix.split('/').filter(Boolean)
  return (
    <main className="storage">
      <h1>Storage</h1>
      <nav className="crumbs" aria-label="Folder">
        <Link href="/storage">root</Link>
        {parts.map((part, i) => <span key={i}> / <Link href={`/storage${query({prefix: `${parts.slice(0, i + 1).join('/')}/`})}`}>{part}</Link></span>)}
      </nav>
      <ErrorNote error={listing.error} />
      <div className="split">
        <div>
          <table className="grid">
            <thead><tr><th>Name</th><th>Type</th><th className="num">Size</th><th>Modified</th></tr></thead>
            <tbody>
              {(listing.data?.common_prefixes ?? []).map((p) => (
                <tr key={p}><td colSpan={4}><Link href={`/storage${query({prefix: p})}`}>📁 {p.slice(prefix.length)}</Link></td></tr>
              ))}
              {(listing.data?.objects ?? []).map((o) => (
                <tr key={o.key} aria-selected={o.key === key}>
                  <td><Link href={withQuery(path, search, {key: o.key})}>{o.key.slice(prefix.length)}</Link></td>
                  <td>{o.content_type}</td><td className="num">{formatBytes(o.size)}</td><td>{formatTime(o.last_modified)}</td>
                </tr>
              ))}
              {listing.data && listing.data.objects.length === 0 && listing.data.common_prefixes.length === 0 ? <tr><td colSpan={4} className="muted">Nothing stored here.</td></tr> : null}
            </tbody>
          </table>
          {listing.data ? <Pager total={listing.data.total} offset={offset} limit={PAGE_SIZE} onOffset={(o) => navigate(withQuery(path, search, {offset: o || undefined}))} /> : null}
        </div>
        {key ? <ObjectPreview objectKey={key} /> : <aside className="details muted">Select an object to preview it.</aside>}
      </div>
    </main>
  )
}

const MarkdownPreview = lazy(() => import('../components/MarkdownPreview.js'))
const isMarkdown = (type: string) => /markdown/.test(type)
const isText = (type: string) => /^text\/|json|xml|yaml|javascript/.test(type)

/** An object's metadata and a preview: HTML in a sandboxed frame (no scripts), markdown rendered and sanitised (or its source), text as text. */
export function ObjectPreview({objectKey}: {objectKey: string}) {
  const meta = useApi<StorageObject>(`/storage/objects/${objectKey.split('/').map(encodeURIComponent).join('/')}/metadata`)
  const [text, setText] = useState<{key: string; body?: string; truncated?: boolean; error?: ApiError}>()
  const [showSource, setShowSource] = useState(false)
  const type = meta.data?.content_type ?? ''
  useEffect(() => {
    if (!meta.data || !isText(type) || type.includes('html')) return
    const controller = new AbortController()
    fetch(objectUrl(objectKey), {headers: {range: `bytes=0-${PREVIEW_BYTES - 1}`}, signal: controller.signal})
      .then(async (r) => {
        if (!r.ok) throw new ApiError(r.status, `The server answered ${r.status}.`, undefined, undefined)
        setText({key: objectKey, body: await r.text(), truncated: r.status === 206 && meta.data!.size > PREVIEW_BYTES})
      })
      .catch((error: Error) => { if (error.name !== 'AbortError') setText({key: objectKey, error: error as ApiError}) })
    return () => controller.abort()
  }, [meta.data, objectKey, type])
  return (
    <aside className="details preview" aria-label="Preview">
      <h2>{objectKey.split('/').at(-1)}</h2>
      <ErrorNote error={meta.error} />
      <p><a href={objectUrl(objectKey)} download={objectKey.split('/').at(-1)}>Download</a>{meta.data ? ` · ${type} · ${formatBytes(meta.data.size)}` : ''}</p>
      {meta.data?.metadata ? <details><summary>Metadata</summary><dl className="kv">{Object.entries(meta.data.metadata).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd></div>)}</dl></details> : null}
      {meta.data && type.includes('html') ? <iframe title="HTML preview" sandbox="" src={objectUrl(objectKey)} className="html-preview" /> : null}
      {text?.key === objectKey && text.body !== undefined && isMarkdown(type) ? (
        <p><label><input type="checkbox" checked={showSource} onChange={(event) => setShowSource(event.target.checked)} /> Show the markdown source</label></p>
      ) : null}
      {text?.key === objectKey && text.body !== undefined && isMarkdown(type) && !showSource ? (
        <Suspense fallback={<p className="muted">Rendering…</p>}><MarkdownPreview source={text.body} /></Suspense>
      ) : null}
      {text?.key === objectKey && text.body !== undefined && (!isMarkdown(type) || showSource) ? <pre className="text-preview" data-testid="text-preview">{text.body}{text.truncated ? '\n…' : ''}</pre> : null}
      {text?.key === objectKey && text.error ? <ErrorNote error={text.error} /> : null}
      {meta.data && !isText(type) ? <p className="muted">No preview for {type}: download it.</p> : null}
    </aside>
  )
}
