import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterOutput, AdapterResources} from '../types.js'
import type {segmentPublisherConfig} from './catalog.js'
import {documentIdOf, sha256, stringField} from './markdown-payload.js'
import {readSegments} from './segments-payload.js'

export type SegmentPublisherConfig = z.output<typeof segmentPublisherConfig>

/** Document provenance copied onto every segment message when present. */
const PROVENANCE = ['url', 'final_url', 'path', 'source_url', 'token_encoding'] as const

/**
 * segment_publisher (docs/reference/adapters.md, Markdown): fan-out, one message per segment of the input
 * (inline `segments` or `segments_storage_key`). Each carries `document_id` (the input's, else its
 * metadata's, else its `url`/`source_url`, else `file://` + `path`, else `sha256:` + the document's
 * content hash), `segment_index`, `segment_count`, `text`, `heading_path`, `token_count`,
 * `content_hash` (sha256 of the segment text), `document_content_hash` (the input's
 * `content_hash`), and the provenance fields `url`, `final_url`, `path`, `source_url`, `title`,
 * `token_encoding` that are known. No segments → no messages (the chain ends). Errors:
 * `PAYLOAD_FIELD_MISSING` without segments, `SEGMENTS_INVALID` for malformed ones (terminal).
 */
export function createAdapter(_config: SegmentPublisherConfig, _resources?: AdapterResources): Adapter {
  return {
    async process(context) {
      const segments = await readSegments(context)
      if (!segments) {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'segment_publisher needs `segments` or `segments_storage_key` in the payload.', {
          hint: 'Put smart_segmenter before segment_publisher.',
        })
      }
      const {payload, metadata} = context
      const documentHash = stringField(payload, 'content_hash')
      const documentId = documentIdOf(payload, metadata)
        ?? `sha256:${documentHash ?? sha256(segments.map((segment) => segment.text).join('\n\n'))}`
      const common: Record<string, unknown> = {document_id: documentId}
      for (const field of PROVENANCE) if (payload[field] !== undefined) common[field] = payload[field]
      const title = stringField(payload, 'title') ?? stringField(metadata, 'title')
      if (title) common.title = title
      if (documentHash) common.document_content_hash = documentHash
      return segments.map((segment): AdapterOutput => ({
        payload: {
          ...common,
          segment_index: segment.index,
          segment_count: segments.length,
          text: segment.text,
          heading_path: segment.heading_path,
          token_count: segment.token_count,
          content_hash: sha256(segment.text),
        },
        metadata: {document_id: documentId},
      }))
    },
  }
}
