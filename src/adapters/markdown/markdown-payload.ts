import {createHash} from 'node:crypto'

import {isFactflowError, NotFoundError, UserInputError} from '../../errors/index.js'
import type {PutMetadata} from '../../storage/types.js'
import type {AdapterContext} from '../types.js'
import {decodeBody} from '../web/charset.js'

/**
 * Bodies larger than this travel by storage key instead of inline, so an envelope (limit 256 KiB,
 * docs/reference/engine.md "Messages") keeps room for the rest of the payload and the metadata.
 */
export const INLINE_LIMIT_BYTES = 64 * 1024

export function sha256(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex')
}

export function stringField(record: Readonly<Record<string, unknown>>, field: string): string | undefined {
  const value = record[field]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Reads an artefact, turning "not in storage" into a terminal `ARTEFACT_MISSING` naming the key. */
export async function getArtefact(context: AdapterContext, key: string, field: string) {
  try {
    return await context.storage.get(key)
  } catch (error) {
    if (isFactflowError(error) && error.code === 'STORAGE_NOT_FOUND') {
      throw new NotFoundError('ARTEFACT_MISSING', `\`${field}\` names ${key}, which is not in storage ${context.storage.uri}.`, {
        hint: 'It may have been deleted or written to another storage; check --storage / FACTFLOW_STORAGE_URI.',
        cause: error,
        details: {storage_key: key, field},
      })
    }
    throw error
  }
}

/** Sidecar metadata for an artefact written while processing this message (docs/reference/engine.md "Storage"). */
export function artefactMetadata(context: AdapterContext, extra: PutMetadata): PutMetadata {
  const metadata: PutMetadata = {
    execution_id: context.executionId, route_id: context.routeId, stage: context.stage,
    correlation_id: context.message.correlation_id, message_id: context.message.message_id,
  }
  for (const [field, value] of Object.entries(extra)) if (value !== undefined) metadata[field] = value
  return metadata
}

/** The markdown of a message: inline `markdown`, stored at `markdown_storage_key`, or a retrieved text `content`. */
export async function readMarkdown(context: AdapterContext, adapter: string): Promise<string> {
  const {payload} = context
  if (typeof payload.markdown === 'string') return payload.markdown
  const key = stringField(payload, 'markdown_storage_key')
  if (key) {
    const {body, metadata} = await getArtefact(context, key, 'markdown_storage_key')
    return decodeBody(body, metadata.content_type).text
  }
  // storage_retriever puts a stored markdown or text file into `content`.
  if (typeof payload.content === 'string') return payload.content
  throw new UserInputError('PAYLOAD_FIELD_MISSING', `${adapter} needs \`markdown\`, \`markdown_storage_key\` or a text \`content\` in the payload.`, {
    hint: 'Put html_to_markdown (for HTML) or storage_retriever (for stored markdown/text files) earlier in the chain.',
  })
}

/** Where a document is from, for provenance: its id, else its URL, else `file://` + its path. */
export function documentIdOf(payload: Readonly<Record<string, unknown>>, metadata: Readonly<Record<string, unknown>>): string | undefined {
  const path = stringField(payload, 'path')
  return stringField(payload, 'document_id') ?? stringField(metadata, 'document_id')
    ?? stringField(payload, 'url') ?? stringField(payload, 'source_url') ?? stringField(metadata, 'source_url')
    ?? (path ? `file://${path}` : undefined)
}

/** `storage_keys` of the message metadata plus `keys` (no duplicates, order kept). */
export function withStorageKeys(metadata: Readonly<Record<string, unknown>>, keys: readonly string[]): string[] {
  const existing = Array.isArray(metadata.storage_keys) ? metadata.storage_keys.filter((key): key is string => typeof key === 'string') : []
  return [...new Set([...existing, ...keys])]
}
