import {z} from 'zod'

import {factflowVersion} from '../../config/factflow-version.js'
import {createStageResultCache} from '../../stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../stage-results/stage-key.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {smartSegmenterConfig} from './catalog.js'
import {artefactMetadata, INLINE_LIMIT_BYTES, readMarkdown, stringField, withStorageKeys} from './markdown-payload.js'
import {type Segment, segmentSchema} from './segments-payload.js'
import {loadSegmentCounterTask, segmentDocumentTask} from './segmenting/segment-task.js'

export type SmartSegmenterConfig = z.output<typeof smartSegmenterConfig>

/**
 * Bump when the segments of the same markdown under the same config change, or their stored shape
 * does (with factflow's version, see below). 2: a segment found in the markdown is stored as `at`.
 */
const RESULT_VERSION = '2'

/**
 * A stored segment: its text as `[start, end)` of the markdown it was cut from when it is found
 * there verbatim (nearly every segment; the markdown is the key's input, so it is at hand whenever
 * the row is read), else the text itself. This keeps a page's text out of `stage_results` a second
 * time: html_to_markdown's row holds it already.
 */
const storedSegment = z.union([
  z.strictObject({index: z.int().min(0), token_count: z.int().min(0), heading_path: z.array(z.string()), at: z.tuple([z.int().min(0), z.int().min(0)])}),
  z.strictObject(segmentSchema.shape),
])
const storedSegments = z.strictObject({segments: z.array(storedSegment)})
type StoredSegment = z.output<typeof storedSegment>

/**
 * The stored form of `segments` cut from `markdown`. Segments come in document order, so each is
 * looked for from where the previous one started (an overlap repeats the previous one's tail).
 */
export function compactSegments(segments: readonly Segment[], markdown: string): StoredSegment[] {
  let from = 0
  return segments.map((segment) => {
    const start = segment.text === '' ? -1 : markdown.indexOf(segment.text, from)
    if (start < 0) return segment
    from = start
    return {index: segment.index, token_count: segment.token_count, heading_path: segment.heading_path, at: [start, start + segment.text.length]}
  })
}

/** The segments of a stored result, or `undefined` when a span does not fit `markdown` (then it is cut again). */
export function expandSegments(stored: readonly StoredSegment[], markdown: string): Segment[] | undefined {
  const segments: Segment[] = []
  for (const segment of stored) {
    if (!('at' in segment)) {
      segments.push(segment)
      continue
    }
    const [start, end] = segment.at
    if (start >= end || end > markdown.length) return undefined
    segments.push({index: segment.index, text: markdown.slice(start, end), token_count: segment.token_count, heading_path: segment.heading_path})
  }
  return segments
}

/** Large bodies of the input that the output must not carry along. */
const DROPPED = ['markdown', 'content', 'html', 'segments', 'segments_storage_key'] as const

/**
 * smart_segmenter (docs/reference/adapters.md, Markdown). Reads markdown from `markdown`,
 * `markdown_storage_key` or a retrieved text `content`, cuts it with `segmentMarkdown` (heading
 * sections, token budget counted with the configured BPE `encoding`, code blocks and tables never
 * cut — see there for oversized blocks and overlap) and emits the input payload without its large
 * bodies plus `segments: [{index, text, token_count, heading_path}]`, `segment_count` and
 * `token_encoding`; `content_hash` is kept, or set to the markdown's sha256 when absent. When the
 * segments' JSON is over 64 KiB it is written to `storageKey('.segments.json')` and emitted as
 * `segments_storage_key` instead (the key is added to the metadata's `storage_keys`). Empty markdown
 * gives zero segments. The cut runs in the runtime's CPU pool (`resources.cpu`); the encoder is
 * built once per thread that cuts.
 *
 * Incremental re-runs: the segments are stored under (sha256 of the markdown, hash of the config and
 * factflow's version: a new release may cut differently, and cutting again is cheap). The same
 * markdown again is not cut: the stored segments are emitted exactly as a fresh cut would be, and the
 * invocation is marked skipped (`unchanged`). A stored segment keeps its place in the markdown, not
 * its text (see `compactSegments`).
 */
export async function createAdapter(config: SmartSegmenterConfig, resources: AdapterResources): Promise<Adapter> {
  const options = {encoding: config.encoding, maxTokens: config.max_tokens, minTokens: config.min_tokens, overlapTokens: config.overlap_tokens}
  // Cutting runs in the runtime's CPU pool; the encoder is built where the cutting runs, and is
  // started now (in a worker, beside the database opening) so the first document does not wait
  // for it. A failure here surfaces on the first document, with its message.
  const warming = resources.cpu.run(loadSegmentCounterTask, {encoding: config.encoding})
  if (resources.cpu.threads > 0) warming.catch(() => undefined)
  else await warming
  const configHash = stageConfigHash('smart_segmenter', `${RESULT_VERSION}/${factflowVersion() ?? 'unknown'}`, config)
  const cache = createStageResultCache({
    adapterType: 'smart_segmenter', schema: storedSegments,
    database: () => resources.database(), storage: resources.storage, logger: resources.logger,
    emptyAtStart: resources.newDatabase,
  })
  return {
    async process(context) {
      const markdown = await readMarkdown(context, 'smart_segmenter')
      const resultKey = {configHash, inputHash: stageInputHash(markdown)}
      const stored = (await cache.get(resultKey))?.segments
      let segments = stored === undefined ? undefined : expandSegments(stored, markdown)
      if (segments !== undefined) {
        context.markSkipped('unchanged')
      } else {
        segments = await resources.cpu.run(segmentDocumentTask, {markdown, ...options}, {signal: context.signal})
        await cache.putBehind(resultKey, {segments: compactSegments(segments, markdown)}, {executionId: context.executionId})
      }
      const output: Record<string, unknown> = {...context.payload}
      for (const field of DROPPED) delete output[field]
      output.content_hash = stringField(context.payload, 'content_hash') ?? resultKey.inputHash
      output.segment_count = segments.length
      output.token_encoding = config.encoding
      const json = JSON.stringify(segments)
      if (Buffer.byteLength(json) <= INLINE_LIMIT_BYTES) {
        output.segments = segments
        return {payload: output}
      }
      const key = context.storageKey('.segments.json')
      await context.storage.put(key, json, artefactMetadata(context, {
        content_type: 'application/json',
        title: stringField(context.payload, 'title') ?? stringField(context.metadata, 'title'),
        source_url: stringField(context.payload, 'source_url') ?? stringField(context.payload, 'url'),
        document_id: stringField(context.payload, 'document_id') ?? stringField(context.metadata, 'document_id'),
      }))
      output.segments_storage_key = key
      return {payload: output, metadata: {storage_keys: withStorageKeys(context.metadata, [key])}}
    },
    close: () => cache.close(),
  }
}
