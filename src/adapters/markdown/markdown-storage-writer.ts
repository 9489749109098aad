import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {PutMetadata} from '../../storage/types.js'
import type {Adapter, AdapterContext, AdapterResources} from '../types.js'
import type {markdownStorageWriterConfig} from './catalog.js'
import {artefactMetadata, documentIdOf, sha256, stringField, withStorageKeys} from './markdown-payload.js'
import {readSegments} from './segments-payload.js'

export type MarkdownStorageWriterConfig = z.output<typeof markdownStorageWriterConfig>

/** Above this many segment keys the metadata names their folder instead of each key. */
const LISTED_SEGMENT_KEYS = 100
/** Writes in flight at once for one message. */
const WRITE_CONCURRENCY = 8

interface Write {
  key: string
  body: string
  metadata: PutMetadata
}

/** Writes unless the same bytes are already stored under the key (a redelivery); true when it wrote. */
async function writeOnce(context: AdapterContext, write: Write): Promise<boolean> {
  const existing = await context.storage.head(write.key)
  if (existing?.metadata?.sha256 === sha256(write.body)) return false
  await context.storage.put(write.key, write.body, write.metadata)
  return true
}

async function writeAll(context: AdapterContext, writes: readonly Write[]): Promise<number> {
  let written = 0
  for (let i = 0; i < writes.length; i += WRITE_CONCURRENCY) {
    context.signal.throwIfAborted()
    const results = await Promise.all(writes.slice(i, i + WRITE_CONCURRENCY).map((write) => writeOnce(context, write)))
    written += results.filter(Boolean).length
  }
  return written
}

/**
 * markdown_storage_writer (docs/reference/adapters.md, Markdown). Writes, under keys derived from the message
 * (`context.storageKey`, so a redelivery overwrites rather than duplicates):
 *
 * - the document's inline `markdown` to `<key>.md` (markdown already stored upstream, named by
 *   `markdown_storage_key`, is referenced, not copied);
 * - each segment (inline `segments` or `segments_storage_key`) to `<key>/segments/<index>.md`, with
 *   `segment_index`, `token_count` and `heading_path` (joined with ` > `) in its metadata;
 * - after segment_publisher, a single segment message (`text` + `segment_index`) to `<key>.md`.
 *
 * Emits the payload unchanged and adds the keys to the metadata's `storage_keys` (a document with
 * more than 100 segments lists its `<key>/segments/` folder instead of each key). Objects whose
 * bytes are already stored under the same key are not rewritten; when nothing needed writing the
 * invocation is marked skipped (`unchanged`). Errors: `PAYLOAD_FIELD_MISSING` (terminal) when the
 * payload has no markdown, segments or segment text.
 */
export function createAdapter(_config: MarkdownStorageWriterConfig, _resources?: AdapterResources): Adapter {
  return {
    async process(context) {
      const {payload} = context
      const provenance: PutMetadata = {
        title: stringField(payload, 'title') ?? stringField(context.metadata, 'title'),
        source_url: stringField(payload, 'source_url') ?? stringField(payload, 'final_url') ?? stringField(payload, 'url'),
        document_id: documentIdOf(payload, context.metadata),
      }
      const writes: Write[] = []
      const keys: string[] = []
      if (typeof payload.markdown === 'string') {
        const key = context.storageKey('.md')
        writes.push({key, body: payload.markdown, metadata: artefactMetadata(context, {content_type: 'text/markdown; charset=utf-8', ...provenance})})
        keys.push(key)
      } else if (stringField(payload, 'markdown_storage_key')) {
        keys.push(stringField(payload, 'markdown_storage_key')!)
      }

      const segments = await readSegments(context)
      const segmentKeys: string[] = []
      for (const segment of segments ?? []) {
        const key = context.storageKey(`/segments/${segment.index}.md`)
        writes.push({key, body: segment.text, metadata: artefactMetadata(context, {
          content_type: 'text/markdown; charset=utf-8', ...provenance,
          segment_index: segment.index, token_count: segment.token_count, heading_path: segment.heading_path.join(' > '),
        })})
        segmentKeys.push(key)
      }
      if (!segments && typeof payload.text === 'string' && typeof payload.segment_index === 'number') {
        const key = context.storageKey('.md')
        writes.push({key, body: payload.text, metadata: artefactMetadata(context, {
          content_type: 'text/markdown; charset=utf-8', ...provenance, segment_index: payload.segment_index,
          ...(typeof payload.token_count === 'number' ? {token_count: payload.token_count} : {}),
          ...(Array.isArray(payload.heading_path) ? {heading_path: payload.heading_path.join(' > ')} : {}),
        })})
        keys.push(key)
      }
      if (keys.length === 0 && segments === undefined) {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'markdown_storage_writer needs `markdown`, `markdown_storage_key`, `segments`, `segments_storage_key` or a segment `text` in the payload.', {
          hint: 'Put it after html_to_markdown, smart_segmenter or segment_publisher.',
        })
      }
      const written = await writeAll(context, writes)
      if (written === 0 && writes.length > 0) context.markSkipped('unchanged')
      const listed = segmentKeys.length > LISTED_SEGMENT_KEYS ? [context.storageKey('/segments/')] : segmentKeys
      return {payload: {...payload}, metadata: {storage_keys: withStorageKeys(context.metadata, [...keys, ...listed])}}
    },
  }
}
