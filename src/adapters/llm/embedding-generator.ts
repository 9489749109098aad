import {createHash} from 'node:crypto'
import type {z} from 'zod'

import type {Embedder} from '../../embeddings/embedder.js'
import {createEmbeddingWriter, type SegmentInput} from '../../embeddings/embedding-writer.js'
import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterContext, AdapterResources} from '../types.js'
import type {embeddingGeneratorConfig} from './catalog.js'

export type EmbeddingGeneratorConfig = z.output<typeof embeddingGeneratorConfig>

export interface EmbeddingGeneratorDeps {
  /** Replaces the profile's embedder (tests; a composition root with remote providers). */
  embedder?: Embedder
  /** See `MicroBatcherOptions.lingerMs`. */
  lingerMs?: number
}

/** Segment fields stored as the row's `metadata` when present. */
const METADATA_FIELDS = ['url', 'final_url', 'path', 'source_url', 'title', 'token_count', 'token_encoding', 'segment_count'] as const

/**
 * embedding_generator (docs/reference/adapters.md): embeds segment messages into the slot `slot` (default: the
 * model name) of the `embeddings` table, `batch_size` segments per embedding call, and emits
 * `{...payload, embedding_slot, embedding_id}`. What is embedded is the segment's `title` and
 * `heading_path` (when present), then its `text`. A segment whose (slot, document, index) row has the
 * same content hash is not embedded again (`markSkipped('unchanged')`); every embedded one counts
 * `embedded`. When a document changes, its rows past the new segment count (or of the old version,
 * without a count) are deleted, and so are the rows of another document id from the same source
 * (payload or metadata `source_url`, else `url`, else `path` / `origin`): readers that derive the id from the content give each
 * version a new id. Errors: `PAYLOAD_FIELD_MISSING` (terminal) without `text`,
 * `document_id` or `segment_index`; `EMBEDDING_SLOT_MISMATCH` when the slot holds another model;
 * `DATABASE_UNAVAILABLE` when the run has no database.
 */
export function createAdapter(config: EmbeddingGeneratorConfig, resources: AdapterResources): Promise<Adapter> {
  return createEmbeddingGenerator(config, resources)
}

export async function createEmbeddingGenerator(config: EmbeddingGeneratorConfig, resources: AdapterResources, deps: EmbeddingGeneratorDeps = {}): Promise<Adapter> {
  // The runtime's embedder of the profile: one limiter per profile across every execution.
  const embedder = deps.embedder ?? await resources.embedders.get(config.provider, {model: config.model, dimensions: config.dimensions})
  const slot = config.slot ?? embedder.model
  const writer = createEmbeddingWriter({
    database: () => resources.database(), embedder, slot, batchSize: config.batch_size, lingerMs: deps.lingerMs,
    emptyAtStart: resources.newDatabase,
  })
  return {
    async process(context) {
      context.signal.throwIfAborted()
      const result = await writer.write(readSegment(context))
      if (result.unchanged) context.markSkipped('unchanged')
      else context.count('embedded', 1)
      return {payload: {...context.payload, embedding_slot: slot, embedding_id: result.embeddingId}}
    },
    close: () => writer.drain(),
  }
}

function readSegment(context: AdapterContext): SegmentInput {
  const {payload, metadata} = context
  const text = payload.text
  const documentId = nonEmpty(payload.document_id) ?? nonEmpty(metadata.document_id)
  const segmentIndex = payload.segment_index
  if (typeof text !== 'string' || documentId === undefined || !Number.isInteger(segmentIndex) || (segmentIndex as number) < 0) {
    throw new UserInputError('PAYLOAD_FIELD_MISSING',
      'embedding_generator needs `text`, `document_id` and a non-negative integer `segment_index` in the payload.', {
        hint: 'Put segment_publisher before embedding_generator.',
        details: {missing: [typeof text !== 'string' && 'text', documentId === undefined && 'document_id',
          !Number.isInteger(segmentIndex) && 'segment_index'].filter(Boolean)},
      })
  }
  const headingPath = Array.isArray(payload.heading_path) ? payload.heading_path : []
  const title = nonEmpty(payload.title) ?? nonEmpty(metadata.title)
  const headings = headingPath.filter((heading): heading is string => typeof heading === 'string' && heading !== '')
  const segmentCount = payload.segment_count
  const stored: Record<string, unknown> = {}
  for (const field of METADATA_FIELDS) if (payload[field] !== undefined) stored[field] = payload[field]
  // The title embedded in the passage's context, wherever it came from: what change detection compares.
  if (title !== undefined) stored.title = title
  return {
    documentId,
    segmentIndex: segmentIndex as number,
    source: nonEmpty(payload.source_url) ?? nonEmpty(payload.url) ?? nonEmpty(payload.path)
      ?? nonEmpty(metadata.source_url) ?? nonEmpty(metadata.url) ?? nonEmpty(metadata.origin),
    text,
    context: title !== undefined || headings.length > 0 ? `${title ?? ''}\n${headings.join(' / ')}` : undefined,
    contentHash: nonEmpty(payload.content_hash) ?? createHash('sha256').update(text).digest('hex'),
    documentContentHash: nonEmpty(payload.document_content_hash),
    segmentCount: Number.isInteger(segmentCount) && (segmentCount as number) >= 0 ? segmentCount as number : undefined,
    headingPath,
    metadata: stored,
    signal: context.signal,
  }
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
