import type {Database} from '../db/types.js'
import type {Embedder} from '../embeddings/embedder.js'
import {indexPendingTerms} from '../embeddings/keyword-terms.js'
import {readVectorStorage, vectorCast, vectorLiteral} from '../embeddings/vector-storage.js'
import {NotFoundError, UserInputError} from '../errors/index.js'
import {type Bm25SearchOptions, bm25Search} from './bm25-search.js'
import {keywordQuerySql, splitKeywordQuery} from './keyword-query.js'
import {reciprocalRankFusion} from './reciprocal-rank-fusion.js'
import {findVectorIndex} from './vector-index.js'
import type {
  HybridSearchOptions, KeywordSearchOptions, SearchHit, SearchResponse, SlotInfo, SourceInfo, VectorCapability,
  VectorSearchOptions,
} from './search-types.js'

export type * from './search-types.js'

export interface SearchServiceOptions {
  database: Database
  /** The embedder that turns a query into a vector comparable with the slot's (same model and dimensions). */
  embedderFor(slot: {slot: string; model: string; dimensions: number}): Embedder | Promise<Embedder>
  /**
   * Without pgvector: `keyword` (default, docs/reference/server.md "When the vector extension is missing")
   * answers vector and hybrid searches by keyword search with a warning; `exact` computes cosine in
   * SQL over the real[] column, a full scan of the slot (fine up to some 10k segments).
   */
  withoutPgvector?: 'keyword' | 'exact'
}

export interface SearchService {
  /**
   * Nearest segments of `slot` by cosine similarity: through the slot's HNSW index when one was built
   * (`createVectorIndex`), otherwise by an exact scan. @throws NotFoundError `SEARCH_SLOT_UNKNOWN`.
   */
  vector(query: string, options: VectorSearchOptions): Promise<SearchResponse>
  /**
   * Full-text search ranked by `ts_rank`: any of the query's words (stopwords dropped), quoted phrases and
   * `-excluded` words as in websearch syntax (see `splitKeywordQuery`). @throws UserInputError `SEARCH_LANGUAGE_UNKNOWN`.
   */
  keyword(query: string, options?: KeywordSearchOptions): Promise<SearchResponse>
  /**
   * Keyword search ranked by BM25 over stemmed words (see `bm25Search`): every form of a query word
   * matches, rare words weigh more. What chat retrieves with; `keyword` keeps `ts_rank` and websearch syntax.
   */
  bm25(query: string, options: Bm25SearchOptions): Promise<SearchResponse>
  /** Reciprocal-rank fusion (k = 60) of vector and keyword results of one slot. */
  hybrid(query: string, options: HybridSearchOptions): Promise<SearchResponse>
  /** What vector search can do here; `warning` is for health when it is not `pgvector`. */
  capabilities(): Promise<{vector: VectorCapability; warning?: string}>
  slots(): Promise<SlotInfo[]>
  /** Documents with stored segments, by id (`limit` default 1000, at most 10,000). */
  sources(options?: {slot?: string; limit?: number; offset?: number}): Promise<SourceInfo[]>
  /** How many documents `sources` pages through. */
  countSources(options?: {slot?: string}): Promise<number>
}

const DEFAULT_LIMIT = 10
const MAX_LIMIT = 200
const UNAVAILABLE = 'Vector search is unavailable: the database has no pgvector extension; answered by keyword search.'
const COLUMNS = 'e.id, e.slot, e.document_id, e.segment_index, e.text, e.heading_path, e.metadata'

type HitRow = Omit<SearchHit, 'score'> & {score: number | string | null}

/**
 * Search over what embedding_generator wrote (docs/reference/server.md, search). Shared by the HTTP routes and
 * the CLI; takes the database and an embedder resolver, holds no state besides the vector capability.
 */
export function createSearchService(service: SearchServiceOptions): SearchService {
  const {database} = service
  let capability: Promise<VectorCapability> | undefined
  const vectorCapability = () => capability ??= readVectorStorage(database).then((storage) =>
    storage === 'vector' ? 'pgvector' : service.withoutPgvector === 'exact' ? 'exact' : 'unavailable')

  async function slotInfo(slot: string) {
    const {rows} = await database.query<{model: string; dimensions: number}>('SELECT model, dimensions FROM embedding_slots WHERE slot = $1', [slot])
    if (rows[0] === undefined) {
      throw new NotFoundError('SEARCH_SLOT_UNKNOWN', `No embedding slot named "${slot}"`, {
        hint: 'List the slots with GET /search/slots; a slot exists once embedding_generator has written to it.',
      })
    }
    return {slot, ...rows[0]}
  }

  async function nearest(query: string, options: VectorSearchOptions, capability: VectorCapability): Promise<SearchHit[]> {
    const slot = await slotInfo(options.slot)
    const embedder = await embedderOf(slot)
    const [vector] = await embedder.embed([query])
    // A query with no word gives the zero vector: its cosine is undefined, so nothing matches.
    if (vector === undefined || vector.every((value) => value === 0)) return []
    const storage = capability === 'pgvector' ? 'vector' : 'real[]'
    const literal = vectorLiteral(vector, storage)
    const limit = limitOf(options.limit)
    const params = [literal, options.slot, limit, options.source ?? null]
    const filter = 'e.slot = $2 AND ($4::text IS NULL OR starts_with(e.document_id, $4::text) OR starts_with(e.source, $4::text))'
    if (capability === 'pgvector' && await findVectorIndex(database, options.slot) !== undefined) {
      return database.transaction(async (tx) => {
        // The index returns ef_search candidates before filters apply: enough for the limit, and it
        // keeps scanning (in order) while a source filter leaves too few.
        await tx.query(`SET LOCAL hnsw.ef_search = ${Math.max(40, limit)}`)
        await tx.query(`SET LOCAL hnsw.iterative_scan = strict_order`)
        const distance = `e.embedding::vector(${slot.dimensions}) <=> $1::vector(${slot.dimensions})`
        const {rows} = await tx.query<HitRow>(`SELECT ${COLUMNS}, 1 - (${distance}) AS score FROM embeddings e
          WHERE ${filter} ORDER BY ${distance} LIMIT $3`, params)
        return rows.map(toHit)
      })
    }
    const sql = capability === 'pgvector'
      ? `SELECT ${COLUMNS}, 1 - (e.embedding <=> $1::vector) AS score FROM embeddings e
          WHERE ${filter} ORDER BY e.embedding <=> $1::vector, e.id LIMIT $3`
      : `SELECT * FROM (
           SELECT ${COLUMNS}, (SELECT sum(a * b) / nullif(sqrt(sum(a * a)) * sqrt(sum(b * b)), 0)
                                 FROM unnest(e.embedding, $1::${vectorCast(storage)}) AS t(a, b)) AS score
             FROM embeddings e WHERE ${filter}) scored
          ORDER BY score DESC NULLS LAST, id LIMIT $3`
    const {rows} = await database.query<HitRow>(sql, params)
    return rows.map(toHit)
  }

  async function embedderOf(slot: {slot: string; model: string; dimensions: number}): Promise<Embedder> {
    const embedder = await service.embedderFor(slot)
    if (embedder.dimensions !== slot.dimensions) {
      throw new UserInputError('SEARCH_EMBEDDER_MISMATCH',
        `Slot "${slot.slot}" holds ${slot.dimensions}-dimension vectors of ${slot.model}; the query embedder gives ${embedder.dimensions}`, {
          hint: 'Configure the embedding profile of this slot\'s model for search.',
        })
    }
    return embedder
  }

  async function matching(query: string, options: KeywordSearchOptions): Promise<SearchHit[]> {
    const language = options.language ?? 'simple'
    const known = await database.query('SELECT 1 FROM pg_ts_config WHERE cfgname = $1', [language])
    if (known.rows.length === 0) {
      throw new UserInputError('SEARCH_LANGUAGE_UNKNOWN', `No text search configuration named "${language}"`, {
        hint: 'Use simple (any language) or a PostgreSQL configuration such as english, german, french.',
      })
    }
    const {required, words} = splitKeywordQuery(query)
    // Segments written since the last search get their terms now (the write path leaves them out).
    await indexPendingTerms(database)
    const {rows} = await database.query<HitRow>(
      `SELECT ${COLUMNS}, ts_rank(t.tsv, q.query) AS score
         FROM embedding_terms t JOIN embeddings e ON e.id = t.id, ${keywordQuerySql(2, 7)} AS q
        WHERE t.tsv @@ q.query AND ($6::boolean OR e.language = $1::regconfig)
          AND ($3::text IS NULL OR e.slot = $3::text) AND ($5::text IS NULL OR starts_with(e.document_id, $5::text) OR starts_with(e.source, $5::text))
        ORDER BY score DESC, e.id LIMIT $4`,
      [language, required, options.slot ?? null, limitOf(options.limit), options.source ?? null, language === 'simple', words])
    return rows.map(toHit)
  }

  const keyword = async (query: string, options: KeywordSearchOptions = {}): Promise<SearchResponse> =>
    ({mode: 'keyword', hits: await matching(query, options)})

  return {
    keyword,

    bm25: async (query, options) => ({mode: 'keyword', hits: await bm25Search(database, query, {...options, limit: limitOf(options.limit)})}),

    async vector(query, options) {
      const capability = await vectorCapability()
      if (capability === 'unavailable') {
        return {...await keyword(query, {limit: options.limit, slot: options.slot, source: options.source}), warning: UNAVAILABLE}
      }
      return {mode: 'vector', hits: await nearest(query, options, capability)}
    },

    async hybrid(query, options) {
      const capability = await vectorCapability()
      const keywordOptions = {limit: options.limit, slot: options.slot, source: options.source, language: options.language}
      if (capability === 'unavailable') return {...await keyword(query, keywordOptions), warning: UNAVAILABLE}
      const limit = limitOf(options.limit)
      const candidates = Math.min(MAX_LIMIT, Math.max(limit * 4, 40))
      const [byVector, byKeyword] = [
        await nearest(query, {...options, limit: candidates}, capability),
        await matching(query, {...keywordOptions, limit: candidates}),
      ]
      const fused = reciprocalRankFusion([byVector, byKeyword], (hit) => hit.id, limit)
      return {mode: 'hybrid', hits: fused.map(({item, score}) => ({...item, score}))}
    },

    async capabilities() {
      const vector = await vectorCapability()
      if (vector === 'pgvector') return {vector}
      return {vector, warning: vector === 'exact'
        ? 'No pgvector extension: vector search scans every vector of a slot (slow on large corpora).'
        : UNAVAILABLE.replace('; answered by', ': searches fall back to')}
    },

    async slots() {
      const {rows} = await database.query<Omit<SlotInfo, 'created_at'> & {created_at: Date | string}>(
        `SELECT s.slot, s.model, s.dimensions, s.created_at,
                count(e.id)::int AS segments, count(DISTINCT e.document_id)::int AS documents
           FROM embedding_slots s LEFT JOIN embeddings e ON e.slot = s.slot
          GROUP BY s.slot ORDER BY s.slot`)
      return rows.map((row) => ({...row, created_at: isoString(row.created_at)}))
    },

    async sources(sourceOptions = {}) {
      const {rows} = await database.query<Omit<SourceInfo, 'updated_at'> & {updated_at: Date | string}>(
        `SELECT document_id, max(metadata->>'title') AS title,
                max(coalesce(metadata->>'url', source)) AS url,
                count(DISTINCT segment_index)::int AS segments, array_agg(DISTINCT slot ORDER BY slot) AS slots,
                max(updated_at) AS updated_at
           FROM embeddings WHERE ($1::text IS NULL OR slot = $1::text)
          GROUP BY document_id ORDER BY document_id LIMIT $2 OFFSET $3`,
        [sourceOptions.slot ?? null, Math.min(Math.max(1, sourceOptions.limit ?? 1000), 10_000), Math.max(0, Math.floor(sourceOptions.offset ?? 0))])
      return rows.map((row) => ({...row, updated_at: isoString(row.updated_at)}))
    },

    async countSources(sourceOptions = {}) {
      const {rows} = await database.query<{n: number}>(
        'SELECT count(DISTINCT document_id)::int AS n FROM embeddings WHERE ($1::text IS NULL OR slot = $1::text)', [sourceOptions.slot ?? null])
      return rows[0]?.n ?? 0
    },
  }
}

function limitOf(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.floor(limit ?? DEFAULT_LIMIT)), MAX_LIMIT)
}

function toHit(row: HitRow): SearchHit {
  return {
    id: row.id, slot: row.slot, document_id: row.document_id, segment_index: row.segment_index, text: row.text,
    heading_path: row.heading_path, metadata: row.metadata, score: Number(row.score ?? 0),
  }
}

function isoString(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : String(value)
}
