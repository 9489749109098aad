import {createHash} from 'node:crypto'

import type {z} from 'zod'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import type {ObjectMetadata} from '../../storage/types.js'
import type {Adapter, AdapterContext, AdapterOutput, AdapterResources} from '../types.js'
import type {webContentStorageConfig} from './catalog.js'
import {artefactIntact} from './conditional-request.js'
import {extractTitle} from './html-title.js'
import {essenceOf, provenanceMetadata} from './page-output.js'
import {type StoredPage, storedPagesFor} from './stored-pages.js'

export type WebContentStorageConfig = z.output<typeof webContentStorageConfig>

/** The page's artefact as it will be emitted: stored by this stage, or an existing one referenced. */
interface Artefact {
  key: string
  contentType: string
  contentLength: number
  contentHash: string
  title?: string
}

/**
 * web_content_storage (docs/reference/adapters.md): writes the page body to
 * `context.storageKey(extension)` with metadata (content_type, source_url, title, document_id =
 * the URL, execution/route/stage/message ids) and emits `{ url, final_url, title, storage_key,
 * content_type, content_length, content_hash }` (sha256 of the stored bytes). The body is the
 * payload's inline `html` (or `text`), or the artefact at `storage_key`. Title: the payload's, the
 * message metadata's, the stored artefact's, or the HTML `<title>`.
 *
 * Each page is stored once (docs/decisions.md, "Each page stored once"):
 * - an artefact at `storage_key` written by this execution (web_scraper's spill of a large page)
 *   is referenced, not copied; one from elsewhere (a replay of another execution) is copied;
 * - a page web_scraper found unchanged (`unchanged: true` with `storage_key` and a `content_hash`
 *   equal to the artefact's: a 304, or the same bytes) is passed on as it is, described by the
 *   artefact's own metadata;
 * - a body whose sha256 equals that of the artefact this stage stored for the URL in an earlier
 *   run (`StoredPages`) references that artefact instead of storing it again (a server without
 *   validators).
 * The last two mark the invocation skipped (`unchanged`); the last ends the chain when the run
 * that last ran the page completed it with this pipeline (`StoredPages.finished`). Whatever it
 * emits, the stage remembers it for the URL with the response's ETag / Last-Modified and this run
 * (`StoredPages.runBy`), for web_scraper's conditional request next run.
 *
 * Errors: no url or no body → `PAYLOAD_FIELD_MISSING`; a `storage_key` that is not stored →
 * `ARTEFACT_MISSING` (terminal); storage outages pass through.
 */
export function createAdapter(config: WebContentStorageConfig, resources: AdapterResources): Adapter {
  const storedPages = storedPagesFor(resources)

  /** The earlier run's artefact for `url` when it holds exactly `hash` and is still in storage, whole. */
  async function storedBefore(context: AdapterContext, url: string, hash: string): Promise<StoredPage | undefined> {
    const known = await storedPages.get(url)
    if (known?.content_hash !== hash) return undefined
    return await artefactIntact(context.storage, known) ? known : undefined
  }

  return {
    close: () => storedPages.close(),
    async process(context) {
      const {payload} = context
      const url = stringField(payload.url)
      if (!url) {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'web_content_storage needs the page `url` in the payload.', {
          hint: 'Put web_scraper or web_crawler before web_content_storage.',
        })
      }
      const finalUrl = stringField(payload.final_url) ?? url
      const referenced = await referencedArtefact(context)
      if (referenced?.unchanged) {
        context.markSkipped('unchanged')
        return outputOf(url, finalUrl, referenced.artefact)
      }
      if (referenced !== undefined) {
        await remember(context, url, finalUrl, referenced.artefact, undefined)
        return outputOf(url, finalUrl, referenced.artefact)
      }

      const page = await pageBody(context)
      const contentHash = createHash('sha256').update(page.bytes).digest('hex')
      const title = titleOf(context, page.storedTitle, page.contentType, () => page.bytes.toString('utf8'))
      const before = await storedBefore(context, url, contentHash)
      let artefact: Artefact
      if (before !== undefined) {
        context.markSkipped('unchanged')
        if (await storedPages.finished(before, context)) return null
        artefact = {key: before.storage_key, contentType: before.content_type, contentLength: before.content_length, contentHash, title: title ?? before.title}
      } else {
        const key = context.storageKey(config.extension)
        await context.storage.put(key, page.bytes, {
          ...provenanceMetadata(context), content_type: page.contentType, source_url: url, document_id: url, title,
        })
        artefact = {key, contentType: page.contentType, contentLength: page.bytes.byteLength, contentHash, title}
      }
      await remember(context, url, finalUrl, artefact, before)
      return outputOf(url, finalUrl, artefact)
    },
  }

  /** Writes the URL's record unless it already says exactly this. */
  async function remember(context: AdapterContext, url: string, finalUrl: string, artefact: Artefact, known: StoredPage | undefined): Promise<void> {
    const headers = typeof context.payload.headers === 'object' && context.payload.headers !== null
      ? context.payload.headers as Record<string, unknown>
      : {}
    const record: StoredPage = {
      storage_key: artefact.key, content_hash: artefact.contentHash, content_type: artefact.contentType,
      content_length: artefact.contentLength, final_url: finalUrl,
    }
    if (artefact.title !== undefined) record.title = artefact.title
    const etag = stringField(headers.etag)
    const lastModified = stringField(headers['last-modified'])
    if (etag !== undefined) record.etag = etag
    if (lastModified !== undefined) record.last_modified = lastModified
    Object.assign(record, await storedPages.runBy(context))
    if (known !== undefined && sameRecord(known, record)) return
    await storedPages.put(url, record, context.executionId)
  }
}

function outputOf(url: string, finalUrl: string, artefact: Artefact): AdapterOutput {
  const out: Record<string, unknown> = {url, final_url: finalUrl}
  if (artefact.title !== undefined) out.title = artefact.title
  Object.assign(out, {
    storage_key: artefact.key, content_type: artefact.contentType, content_length: artefact.contentLength, content_hash: artefact.contentHash,
  })
  return {
    payload: out,
    metadata: {source_url: url, document_id: url, content_hash: artefact.contentHash, ...(artefact.title === undefined ? {} : {title: artefact.title})},
  }
}

/**
 * The artefact at `storage_key`, referenced rather than copied, read from its metadata alone: one
 * an earlier stage of this execution wrote (web_scraper's spill), or the earlier run's artefact
 * web_scraper found unchanged (`unchanged: true` and the same `content_hash`: a 304, or the same
 * bytes). `undefined` for any other key (a replay of another execution's object): copied.
 */
async function referencedArtefact(context: AdapterContext): Promise<{artefact: Artefact; unchanged: boolean} | undefined> {
  const {payload} = context
  const key = stringField(payload.storage_key)
  if (!key || payload.html !== undefined || payload.text !== undefined) return undefined
  const metadata: ObjectMetadata | undefined = (await context.storage.head(key))?.metadata
  // Without its sha256 (an object another tool wrote to S3) the body must be read: copy path.
  if (!metadata?.sha256) return undefined
  const unchanged = payload.unchanged === true && payload.content_hash === metadata.sha256
  if (!unchanged && metadata.execution_id !== context.executionId) return undefined
  const title = stringField(payload.title) ?? stringField(context.metadata.title) ?? stringField(metadata.title)
  return {unchanged, artefact: {key, contentType: metadata.content_type, contentLength: metadata.content_length, contentHash: metadata.sha256, title}}
}

function titleOf(context: AdapterContext, storedTitle: string | undefined, contentType: string, text: () => string): string | undefined {
  return stringField(context.payload.title) ?? stringField(context.metadata.title) ?? storedTitle
    ?? (essenceOf(contentType) === 'text/html' ? extractTitle(text()) : undefined)
}

function sameRecord(a: StoredPage, b: StoredPage): boolean {
  return a.storage_key === b.storage_key && a.content_hash === b.content_hash && a.content_type === b.content_type
    && a.content_length === b.content_length && a.final_url === b.final_url && a.title === b.title
    && a.etag === b.etag && a.last_modified === b.last_modified && a.execution_id === b.execution_id && a.pipeline === b.pipeline
}

interface PageBody {
  bytes: Buffer
  contentType: string
  storedTitle?: string
}

async function pageBody(context: AdapterContext): Promise<PageBody> {
  const {payload} = context
  if (typeof payload.html === 'string') return {bytes: Buffer.from(payload.html), contentType: 'text/html; charset=utf-8'}
  if (typeof payload.text === 'string') {
    const essence = typeof payload.content_type === 'string' ? essenceOf(payload.content_type) : ''
    return {bytes: Buffer.from(payload.text), contentType: `${essence || 'text/plain'}; charset=utf-8`}
  }
  const key = payload.storage_key
  if (typeof key !== 'string' || key === '') {
    throw new UserInputError('PAYLOAD_FIELD_MISSING', 'web_content_storage needs the page body: `html`, `text` or `storage_key` in the payload.', {
      hint: 'Put web_scraper or web_crawler before web_content_storage.',
    })
  }
  try {
    const {body, metadata} = await context.storage.get(key)
    return {bytes: body, contentType: metadata.content_type, storedTitle: metadata.title}
  } catch (error) {
    if (isFactflowError(error) && error.code === 'STORAGE_NOT_FOUND') throw artefactMissing(context, key, error)
    throw error
  }
}

function artefactMissing(context: AdapterContext, key: string, cause: unknown): NotFoundError {
  return new NotFoundError('ARTEFACT_MISSING', `Artefact ${key} is not in storage ${context.storage.uri}.`, {
    hint: 'It may have been deleted or written to another storage; check --storage / FACTFLOW_STORAGE_URI.',
    cause,
    details: {storage_key: key},
  })
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
