import {createHash} from 'node:crypto'

import {isTextualContentType} from '../../storage/content-type.js'
import type {PutMetadata} from '../../storage/types.js'
import type {AdapterContext, AdapterOutput} from '../types.js'
import {decodeBody} from './charset.js'
import {extractTitle} from './html-title.js'
import type {StoredPage} from './stored-pages.js'

/**
 * Bodies up to this size (UTF-8 bytes) travel inline in the message; larger ones go to storage.
 * Half the default 256 KiB envelope limit (docs/reference/engine.md, "Messages"), leaving room for JSON
 * escaping and the rest of the envelope.
 */
export const INLINE_BODY_MAX_BYTES = 128 * 1024

/** Response headers worth carrying downstream (change detection, language, unfollowed redirects). */
const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'content-language', 'location'] as const

const TEXT_EXTENSIONS: Record<string, string> = {
  'text/plain': '.txt', 'text/markdown': '.md', 'text/csv': '.csv', 'application/json': '.json',
  'application/xml': '.xml', 'text/xml': '.xml', 'application/yaml': '.yaml',
}
const BINARY_EXTENSIONS: Record<string, string> = {
  'application/pdf': '.pdf', 'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp',
  'application/zip': '.zip', 'application/gzip': '.gz',
}

/** What web_scraper and web_crawler got for one URL. */
export interface FetchedPage {
  url: string
  finalUrl: string
  status: number
  /** The Content-Type header ('' when the server sent none). */
  contentType: string
  /** Raw bytes as received, or text already decoded (a rendered DOM). */
  body: Buffer | string
  headers: Headers
}

export interface PageOutputOptions {
  /** Put between the message id and the extension of a stored body, for several pages per message (`.p1`). */
  keySuffix?: string
  /**
   * The page stored for this URL by an earlier run (see `usableStoredPage`): a body over the
   * inline limit with the same sha256 is not stored again, the message references that artefact
   * (`storage_key`, `content_hash`, `unchanged: true`).
   */
  known?: StoredPage
}

/** Storage metadata tying an artefact to the message that wrote it (docs/reference/engine.md, "Storage"). */
export function provenanceMetadata(context: AdapterContext): PutMetadata {
  return {
    execution_id: context.executionId, route_id: context.routeId, stage: context.stage,
    correlation_id: context.message.correlation_id, message_id: context.message.message_id,
  }
}

export function isHtmlContentType(contentType: string): boolean {
  const essence = essenceOf(contentType)
  return essence === '' || essence === 'text/html' || essence === 'application/xhtml+xml'
}

export function essenceOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase()
}

/**
 * The message for a fetched page: `{ url, final_url, status, content_type, charset, title,
 * content_length, headers }` plus the body as `html` (HTML, or no content type), `text` (other
 * textual types) or `storage_key` (binary bodies, and text over `INLINE_BODY_MAX_BYTES`). Text is
 * decoded from its charset and stored as UTF-8 at `context.storageKey('.html')` (or the type's
 * extension); binary bodies are stored as received. Metadata: source_url, document_id (the URL),
 * final_url and title.
 */
export async function pageOutput(context: AdapterContext, page: FetchedPage, options: PageOutputOptions = {}): Promise<AdapterOutput> {
  const keySuffix = options.keySuffix ?? ''
  const headers: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const value = page.headers.get(name)
    if (value !== null) headers[name] = value
  }
  const payload: Record<string, unknown> = {
    url: page.url, final_url: page.finalUrl, status: page.status, content_type: page.contentType,
  }
  const metadata: Record<string, unknown> = {source_url: page.url, document_id: page.url, final_url: page.finalUrl}
  const essence = essenceOf(page.contentType)
  const html = isHtmlContentType(page.contentType)
  const stored = {...provenanceMetadata(context), source_url: page.url, document_id: page.url}

  if (typeof page.body !== 'string' && !html && !isTextualContentType(page.contentType)) {
    const {known} = options
    if (known !== undefined && sameBytes(page.body, page.body.byteLength, known)) {
      return {payload: {...payload, content_length: page.body.byteLength, storage_key: known.storage_key, content_hash: known.content_hash, unchanged: true, headers}, metadata}
    }
    const key = context.storageKey(keySuffix + (BINARY_EXTENSIONS[essence] ?? '.bin'))
    await context.storage.put(key, page.body, {...stored, content_type: essence})
    return {payload: {...payload, content_length: page.body.byteLength, storage_key: key, headers}, metadata}
  }

  const {text, charset} = typeof page.body === 'string' ? {text: page.body, charset: 'UTF-8'} : decodeBody(page.body, page.contentType)
  const title = html ? extractTitle(text) : undefined
  const utf8Length = Buffer.byteLength(text)
  payload.charset = charset
  if (title !== undefined) payload.title = metadata.title = title
  payload.content_length = utf8Length
  if (utf8Length <= INLINE_BODY_MAX_BYTES) {
    payload[html ? 'html' : 'text'] = text
  } else if (options.known !== undefined && sameBytes(text, utf8Length, options.known)) {
    Object.assign(payload, {storage_key: options.known.storage_key, content_hash: options.known.content_hash, unchanged: true})
  } else {
    const key = context.storageKey(keySuffix + (html ? '.html' : TEXT_EXTENSIONS[essence] ?? '.txt'))
    await context.storage.put(key, text, {...stored, content_type: `${html ? 'text/html' : essence}; charset=utf-8`, title})
    payload.storage_key = key
  }
  payload.headers = headers
  return {payload, metadata}
}

/** Whether `body` (its UTF-8 bytes when a string) is the known artefact's; the length is compared first, for free. */
function sameBytes(body: string | Buffer, byteLength: number, known: StoredPage): boolean {
  return known.content_length === byteLength && createHash('sha256').update(body).digest('hex') === known.content_hash
}
