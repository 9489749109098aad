import {reciprocalRankFusion} from '../search/reciprocal-rank-fusion.js'
import type {SearchHit, SearchService} from '../search/search-service.js'
import type {ChatSource} from './chat-types.js'

export interface RetrievePassagesOptions {
  slot: string
  source?: string
  /** Passages returned at most. */
  limit: number
  /** Vector hits below this cosine similarity are not evidence (docs/reference/server.md: 0.7). */
  minSimilarity: number
}

/**
 * The passages a question is answered from (docs/reference/server.md, "Chat service"): hybrid retrieval, the
 * vector and keyword rankings of the search service fused by reciprocal rank (k = 60), where a
 * vector hit counts only at `minSimilarity` or above and a keyword hit only when it matches a word
 * of the query. So an unrelated question retrieves nothing rather than the least bad passages, and
 * the answer can say that nothing relevant was found. Numbered from 1 in rank order.
 */
export async function retrievePassages(search: SearchService, query: string, options: RetrievePassagesOptions): Promise<ChatSource[]> {
  const candidates = Math.min(200, Math.max(options.limit * 4, 20))
  const filters = {slot: options.slot, source: options.source, limit: candidates}
  const [byVector, byKeyword] = [await search.vector(query, filters), await search.keyword(query, filters)]
  // Without pgvector `vector` answers by keyword search: one ranking, not two.
  const lists = byVector.mode === 'vector'
    ? [byVector.hits.filter((hit) => hit.score >= options.minSimilarity), byKeyword.hits]
    : [byKeyword.hits]
  const fused = reciprocalRankFusion(lists, (hit) => hit.id, options.limit)
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
