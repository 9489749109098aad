import {defineCpuTask} from '../../../cpu/cpu-task.js'
import {type MarkdownSegment, segmentMarkdown} from './segment-markdown.js'
import {loadTokenCounter, type TokenCounter, type TokenEncoding} from './token-counter.js'

export interface SegmentTaskInput {
  markdown: string
  encoding: TokenEncoding
  maxTokens: number
  minTokens: number
  overlapTokens: number
}

/**
 * The counters of this thread, one per encoding. A worker thread has no composition root to hold
 * them, and building one costs ≈ 0.1–0.3 s (the BPE rank table), so they live as long as the thread:
 * immutable tables plus a bounded memo of counts, the same for every execution.
 */
const counters = new Map<string, unknown>()

/** Loads the encoding's counter in this thread (the pool warms a worker with it at adapter set-up). */
export async function loadSegmentCounter(input: {encoding: TokenEncoding}): Promise<boolean> {
  await loadTokenCounter(input.encoding, counters)
  return true
}

/** smart_segmenter's pure part: cuts one markdown document (see `segmentMarkdown`). */
export async function segmentDocument(input: SegmentTaskInput): Promise<MarkdownSegment[]> {
  const counter: TokenCounter = await loadTokenCounter(input.encoding, counters)
  return segmentMarkdown(input.markdown, {maxTokens: input.maxTokens, minTokens: input.minTokens, overlapTokens: input.overlapTokens}, counter)
}

export const segmentDocumentTask = defineCpuTask<SegmentTaskInput, MarkdownSegment[]>(import.meta.url, 'segmentDocument')
export const loadSegmentCounterTask = defineCpuTask<{encoding: TokenEncoding}, boolean>(import.meta.url, 'loadSegmentCounter')
