import {createHash} from 'node:crypto'

import {TextDecoder as WhatwgTextDecoder} from '@exodus/bytes/encoding.js'
import type {z} from 'zod'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import {charsetOf, isTextualContentType} from '../../storage/content-type.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {storageRetrieverConfig} from './catalog.js'

/** storage_retriever takes no settings (spec/adapters.md): the catalog's empty strict object. */
export type StorageRetrieverConfig = z.output<typeof storageRetrieverConfig>

/** Stored metadata fields carried into the message's metadata (provenance). */
const PROVENANCE = ['title', 'source_url', 'document_id'] as const

/**
 * The stored body as text in the charset of its content type (UTF-8 when none or unknown), by the
 * WHATWG Encoding Standard: @exodus/bytes, not Node 20's TextDecoder, which decodes windows-1252
 * as ISO-8859-1 (€ and curly quotes would become control characters).
 */
function decodeText(body: Buffer, contentType: string): string {
  const charset = charsetOf(contentType)
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    try {
      return new WhatwgTextDecoder(charset).decode(body)
    } catch {
      // An unknown charset label: fall back to UTF-8 rather than failing the message.
    }
  }
  return body.toString('utf8')
}

/**
 * Loads the artefact named by `payload.storage_key` (used after replay and between routes).
 * Emits the payload plus `content_type`, `content_length`, `content_hash` (sha256 of the bytes)
 * and `content` (the decoded text, only for textual content types); stored title, source_url and
 * document_id go into the metadata. Errors: no `storage_key` → UserInputError
 * `PAYLOAD_FIELD_MISSING`; the key is not in storage → NotFoundError `ARTEFACT_MISSING` (both
 * terminal); storage outages pass through as they are (retryable).
 */
export function createAdapter(_config: StorageRetrieverConfig, _resources: AdapterResources): Adapter {
  return {
    async process(context) {
      const key = context.payload.storage_key
      if (typeof key !== 'string' || key === '') {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'storage_retriever needs a string `storage_key` in the payload.', {
          hint: 'Put an adapter that writes to storage (file_reader, web_content_storage) earlier in the chain, or replay from a stage that stored artefacts.',
        })
      }
      let stored
      try {
        stored = await context.storage.get(key)
      } catch (error) {
        if (isFactflowError(error) && error.code === 'STORAGE_NOT_FOUND') {
          throw new NotFoundError('ARTEFACT_MISSING', `Artefact ${key} is not in storage ${context.storage.uri}.`, {
            hint: 'It may have been deleted or written to another storage; check --storage / FACTFLOW_STORAGE_URI and `factflow storage browse`.',
            cause: error,
            details: {storage_key: key},
          })
        }
        throw error
      }
      const {body, metadata} = stored
      const contentType = metadata.content_type
      const payload: Record<string, unknown> = {
        ...context.payload,
        storage_key: key,
        content_type: contentType,
        content_length: body.byteLength,
        content_hash: createHash('sha256').update(body).digest('hex'),
      }
      if (isTextualContentType(contentType)) payload.content = decodeText(body, contentType)
      else delete payload.content
      const provenance: Record<string, unknown> = {}
      for (const field of PROVENANCE) {
        if (metadata[field] !== undefined) provenance[field] = metadata[field]
      }
      return {payload, metadata: provenance}
    },
  }
}
