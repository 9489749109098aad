import {createHash} from 'node:crypto'

import type {z} from 'zod'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterContext, AdapterResources} from '../types.js'
import type {webContentStorageConfig} from './catalog.js'
import {extractTitle} from './html-title.js'
import {essenceOf, provenanceMetadata} from './page-output.js'

export type WebContentStorageConfig = z.output<typeof webContentStorageConfig>

interface PageBody {
  bytes: Buffer
  contentType: string
  storedTitle?: string
}

/**
 * web_content_storage (spec/adapters.md): writes the page body to
 * `context.storageKey(extension)` with metadata (content_type, source_url, title, document_id =
 * the URL, execution/route/stage/message ids) and emits `{ url, final_url, title, storage_key,
 * content_type, content_length, content_hash }` (sha256 of the stored bytes). The body is the
 * payload's inline `html` (or `text`), or the artefact at `storage_key` (copied, so every page of
 * the stage follows one key convention). Title: the payload's, the message metadata's, the stored
 * artefact's, or the HTML `<title>`. Errors: no url or no body → `PAYLOAD_FIELD_MISSING`; a
 * `storage_key` that is not stored → `ARTEFACT_MISSING` (terminal); storage outages pass through.
 */
export function createAdapter(config: WebContentStorageConfig, _resources: AdapterResources): Adapter {
  return {
    async process(context) {
      const {payload} = context
      const url = typeof payload.url === 'string' && payload.url !== '' ? payload.url : undefined
      if (!url) {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'web_content_storage needs the page `url` in the payload.', {
          hint: 'Put web_scraper or web_crawler before web_content_storage.',
        })
      }
      const page = await pageBody(context)
      const title = stringField(payload.title) ?? stringField(context.metadata.title) ?? page.storedTitle
        ?? (essenceOf(page.contentType) === 'text/html' ? extractTitle(page.bytes.toString('utf8')) : undefined)
      const finalUrl = stringField(payload.final_url) ?? url
      const contentHash = createHash('sha256').update(page.bytes).digest('hex')
      const key = context.storageKey(config.extension)
      await context.storage.put(key, page.bytes, {
        ...provenanceMetadata(context), content_type: page.contentType, source_url: url, document_id: url, title,
      })
      const out: Record<string, unknown> = {url, final_url: finalUrl}
      if (title !== undefined) out.title = title
      Object.assign(out, {storage_key: key, content_type: page.contentType, content_length: page.bytes.byteLength, content_hash: contentHash})
      return {
        payload: out,
        metadata: {source_url: url, document_id: url, content_hash: contentHash, ...(title === undefined ? {} : {title})},
      }
    },
  }
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
    if (isFactflowError(error) && error.code === 'STORAGE_NOT_FOUND') {
      throw new NotFoundError('ARTEFACT_MISSING', `Artefact ${key} is not in storage ${context.storage.uri}.`, {
        hint: 'It may have been deleted or written to another storage; check --storage / FACTFLOW_STORAGE_URI.',
        cause: error,
        details: {storage_key: key},
      })
    }
    throw error
  }
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
