import type {z} from 'zod'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import {isTextualContentType} from '../../storage/content-type.js'
import type {Adapter, AdapterResources} from '../types.js'
import {decodeBody} from '../web/charset.js'
import type {storageRetrieverConfig} from './catalog.js'
import {sha256} from './markdown-payload.js'

/** storage_retriever takes no settings (docs/reference/adapters.md): the catalog's empty strict object. */
export type StorageRetrieverConfig = z.output<typeof storageRetrieverConfig>

const SHA256_HEX = /^[0-9a-f]{64}$/

/** Stored metadata fields carried into the message's metadata (provenance). */
const PROVENANCE = ['title', 'source_url', 'document_id'] as const

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
        // A store's metadata carries the body's sha256 (the file store checks it against the bytes it
        // read, or computes it): hashed again only when it is missing or describes other bytes.
        content_hash: metadata.content_length === body.byteLength && SHA256_HEX.test(metadata.sha256) ? metadata.sha256 : sha256(body),
      }
      if (isTextualContentType(contentType)) payload.content = decodeBody(body, contentType).text
      else delete payload.content
      const provenance: Record<string, unknown> = {}
      for (const field of PROVENANCE) {
        if (metadata[field] !== undefined) provenance[field] = metadata[field]
      }
      return {payload, metadata: provenance}
    },
  }
}
