/** One search result: a stored segment and how well it matched (higher is better). */
export interface SearchHit {
  id: string
  document_id: string
  segment_index: number
  text: string
  heading_path: unknown[]
  /** vector: cosine similarity (-1…1); keyword: ts_rank; hybrid: the reciprocal-rank-fusion sum. */
  score: number
  metadata: Record<string, unknown>
  /** The slot the segment's vector is in. */
  slot: string
}

/** How a search was answered: `keyword` when vector search was asked for but is unavailable. */
export type SearchMode = 'vector' | 'keyword' | 'hybrid'

export interface SearchResponse {
  mode: SearchMode
  hits: SearchHit[]
  /** Why the answer is not what was asked for (vector search unavailable). */
  warning?: string
}

export interface VectorSearchOptions {
  slot: string
  /** Default 10, at most 200. */
  limit?: number
  /** Only documents whose id or source starts with this (a URL prefix, a `file://` folder, or a whole id). */
  source?: string
}

export interface KeywordSearchOptions {
  /** Default 10, at most 200. */
  limit?: number
  /** Only this slot's rows (default: all; a segment in several slots appears once per slot). */
  slot?: string
  source?: string
  /** Text search configuration of the query and of the rows searched (default `simple`: all rows). */
  language?: string
}

export interface HybridSearchOptions extends VectorSearchOptions {
  language?: string
}

export interface SlotInfo {
  slot: string
  model: string
  dimensions: number
  segments: number
  documents: number
  created_at: string
}

export interface SourceInfo {
  document_id: string
  title: string | null
  url: string | null
  segments: number
  slots: string[]
  updated_at: string
}

/**
 * What vector search can do on this database: `pgvector` (cosine by `<=>`), `exact` (no pgvector:
 * cosine computed in SQL over real[] by a full scan, opt-in), or `unavailable` (no pgvector: vector
 * and hybrid searches are answered by keyword search, docs/reference/server.md).
 */
export type VectorCapability = 'pgvector' | 'exact' | 'unavailable'
