import {reciprocalRankFusion, RRF_K} from '../search/reciprocal-rank-fusion.js'
import type {SearchHit, SearchService} from '../search/search-service.js'
import type {ChatSource} from './chat-types.js'

export interface RetrievePassagesOptions {
  slot: string
  source?: string
  /** Passages returned at most. */
  limit: number
  /** Vector hits below this cosine similarity are not evidence (docs/reference/server.md: 0.7). */
  minSimilarity: number
  /** Weight of the vector ranking in the fusion (default `VECTOR_WEIGHT`). */
  vectorWeight?: number
}

/**
 * How much a rank of the vector list counts against the same rank of the BM25 list when they are
 * fused. The offline `factflow-hash-*` embedder hashes words, so its ranking is a weaker copy of
 * the lexical one; at full weight it pushed answering passages found by BM25 out of the top 5
 * (docs/decisions.md, "Chat retrieval: BM25 over stems, vector at a quarter weight").
 */
export const VECTOR_WEIGHT = 0.25

/**
 * The passages a question is answered from (docs/reference/server.md, "Chat service"): hybrid retrieval, the
 * vector ranking and a BM25 ranking over word stems (`SearchService.bm25`) fused by weighted
 * reciprocal rank (k = 60), where a vector hit counts only at `minSimilarity` or above and a BM25
 * hit only when it holds a word of the query. So an unrelated question retrieves nothing rather
 * than the least bad passages, and the answer can say that nothing relevant was found. Numbered
 * from 1 in rank order.
 */
export async function retrievePassages(search: SearchService, query: string, options: RetrievePassagesOptions): Promise<ChatSource[]> {
  const candidates = Math.min(200, Math.max(options.limit * 4, 20))
  const filters = {slot: options.slot, source: options.source, limit: candidates}
  const [byVector, byWords] = [await search.vector(query, filters), await search.bm25(query, filters)]
  // Without pgvector `vector` answers by keyword search: the BM25 ranking alone.
  const lists = byVector.mode === 'vector'
    ? [byWords.hits, byVector.hits.filter((hit) => hit.score >= options.minSimilarity)]
    : [byWords.hits]
  const fused = reciprocalRankFusion(lists, (hit) => hit.id, options.limit, RRF_K, [1, options.vectorWeight ?? VECTOR_WEIGHT])
  return fused.map(({item, score}, i) => toSource(item, score, i + 1))
}

function toSource(hit: SearchHit, score: number, index: number): ChatSource {
  const metadata = hit.metadata ?? {}
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined)
  const headings = Array.isArray(hit.heading_path) ? hit.heading_path.map(String).filter((h) => h.trim() !== '') : []
  const url = text(metadata.url) ?? text(metadata.source_url) ?? hit.document_id
  const title = text(metadata.title) ?? headings[0] ?? lastPathPart(url)
  const section = headings.length > 0 && headings.at(-1) !== title ? ` › ${headings.at(-1)}` : ''
  return {index, title: `${title}${section}`, url, score: round(score), text: hit.text, document_id: hit.document_id, segment_index: hit.segment_index}
}

function lastPathPart(url: string): string {
  const trimmed = url.replace(/[?#].*$/, '').replace(/\/+$/, '')
  const last = trimmed.slice(trimmed.lastIndexOf("/") + 1)
  try {
    return decodeURIComponent(last) || url
  } catch {
    return last || url
  }
}

const round = (value: number) => Math.round(value * 1e6) / 1e6
