import {createHash} from 'node:crypto'

import type {AdapterContext} from '../../src/adapters/types.js'
import type {Embedder} from '../../src/embeddings/embedder.js'
import {silentLogger} from '../../src/logging/logger.js'

/** An embedder that records every call (texts per call) before delegating. */
export function countingEmbedder(inner: Embedder): Embedder & {calls: string[][]} {
  const calls: string[][] = []
  return {
    model: inner.model, dimensions: inner.dimensions, calls,
    embed(texts, signal) {
      calls.push([...texts])
      return inner.embed(texts, signal)
    },
  }
}

/** Segment messages as segment_publisher emits them for one document. */
export function segmentPayloads(documentId: string, texts: string[], extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  const documentHash = createHash('sha256').update(texts.join('\n\n')).digest('hex')
  return texts.map((text, index) => ({
    document_id: documentId, url: documentId, title: `Title of ${documentId}`,
    segment_index: index, segment_count: texts.length, text, heading_path: ['Guide', `Part ${index}`], token_count: text.split(' ').length,
    content_hash: createHash('sha256').update(text).digest('hex'), document_content_hash: documentHash, ...extra,
  }))
}

/** A hand-made context recording `markSkipped` and `count` calls. */
export type RecordingContext = AdapterContext & {skipped: string[]; embedded: number}

export function segmentContext(payload: Record<string, unknown>, signal = new AbortController().signal): RecordingContext {
  const context: RecordingContext = {
    message: {
      message_id: 'm', correlation_id: 'c', parent_id: 'p', execution_id: 'exec-1', route_id: 'docs', stage: 'embed',
      timestamp: '2026-01-01T00:00:00.000000+00:00', attempt: 1, payload, metadata: {},
    },
    payload, metadata: {}, executionId: 'exec-1', routeId: 'docs', stage: 'embed',
    storage: undefined as never, logger: silentLogger, signal,
    storageKey: (extension = '') => `executions/exec-1/docs/embed/m${extension}`,
    markSkipped: (reason) => { context.skipped.push(reason) },
    count: (_counter, n) => { context.embedded += n },
    skipped: [], embedded: 0,
  }
  return context
}
