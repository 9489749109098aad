import type {ObjectStore} from '../../storage/types.js'
import type {AdapterOutput} from '../types.js'
import type {StoredPage, StoredPages} from './stored-pages.js'

/**
 * The page stored for `url` by an earlier run, when its artefact is still in `storage`, whole
 * (another `--storage`, a deleted execution, or an object a power loss left short makes it
 * unusable: the page is then fetched in full).
 */
export async function usableStoredPage(pages: StoredPages, storage: ObjectStore, url: string): Promise<StoredPage | undefined> {
  const known = await pages.get(url)
  if (known === undefined) return undefined
  return await artefactIntact(storage, known) ? known : undefined
}

/**
 * True when the artefact a stored page points at is in `storage` with the length (and, where the
 * store knows it, the sha256) the page was stored with. `factflow run` on the embedded database
 * syncs its objects only when it ends, so after a power loss during a run an object a row points
 * at may be empty or short: it must not stand in for the page. One `head` (a stat and the
 * object's metadata), no read of the body unless its metadata does not describe it.
 */
export async function artefactIntact(storage: ObjectStore, known: StoredPage): Promise<boolean> {
  const object = await storage.head(known.storage_key)
  if (object === null || object.size !== known.content_length) return false
  const stored = object.metadata?.sha256
  return stored === undefined || stored === known.content_hash
}

/**
 * `If-None-Match` / `If-Modified-Since` for a page stored before (RFC 9110 §13: a server that
 * knows the ETag ignores the date). Empty when the server gave no validator. Headers the pipeline
 * set itself (`headers` config) win, so this only fills in what is absent.
 */
export function conditionalHeaders(known: StoredPage, configured: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {}
  if (known.etag !== undefined && configured['if-none-match'] === undefined) headers['if-none-match'] = known.etag
  if (known.last_modified !== undefined && configured['if-modified-since'] === undefined) headers['if-modified-since'] = known.last_modified
  return headers
}

/**
 * The message for a page the server says has not changed (304): the earlier artefact stands in
 * for the body. `{ url, final_url, status: 304, unchanged: true, content_type, charset, title,
 * content_length, storage_key, content_hash, headers }`, with the same metadata as a fetched page.
 * The artefact is referenced, not copied: web_content_storage passes it on as it is.
 */
export function notModifiedOutput(url: string, known: StoredPage, responseHeaders: Headers): AdapterOutput {
  // A 304 may carry fresher validators (RFC 9110 §15.4.5); the stored ones stand in otherwise.
  const etag = responseHeaders.get('etag') ?? known.etag
  const lastModified = responseHeaders.get('last-modified') ?? known.last_modified
  const headers: Record<string, string> = {'content-type': known.content_type}
  if (etag !== undefined) headers.etag = etag
  if (lastModified !== undefined) headers['last-modified'] = lastModified
  const payload: Record<string, unknown> = {
    url, final_url: known.final_url, status: 304, unchanged: true, content_type: known.content_type,
  }
  // Text artefacts are stored as UTF-8 (see pageOutput); binary ones have no charset.
  if (/charset=utf-8/i.test(known.content_type)) payload.charset = 'UTF-8'
  if (known.title !== undefined) payload.title = known.title
  Object.assign(payload, {content_length: known.content_length, storage_key: known.storage_key, content_hash: known.content_hash, headers})
  const metadata: Record<string, unknown> = {source_url: url, document_id: url, final_url: known.final_url}
  if (known.title !== undefined) metadata.title = known.title
  return {payload, metadata}
}
