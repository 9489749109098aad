import type {Page} from '../db/paging.js'
import {pageBounds, toPage} from '../db/paging.js'
import {createEmbedder} from '../embeddings/embedder.js'
import {UserInputError} from '../errors/index.js'
import {onlySlot} from '../search/only-slot.js'
import {createSearchService as createDatabaseSearch, type SearchService} from '../search/search-service.js'
import type {SearchResponse, SlotInfo, SourceInfo, VectorCapability} from '../search/search-types.js'
import type {Runtime} from '../runtime/runtime.js'

export type SearchMethod = 'vector' | 'keyword' | 'hybrid'

/** One search as the API takes it (docs/reference/server.md, search): domain values, no HTTP. */
export interface SearchRequest {
  query: string
  /** Default: the only slot in the database (keyword search: every slot). */
  slot?: string
  limit?: number
  /** Only documents whose id or source starts with this. */
  source?: string
  /** Text search configuration (keyword and hybrid; default `simple`). */
  language?: string
}

/**
 * Search for the server: the same search service `factflow search --local` uses, over the
 * runtime's database, with the slot's own (local) embedder for query vectors. Without pgvector,
 * vector and hybrid searches are answered by keyword search with a warning (docs/reference/server.md).
 */
export function createSearchApiService(runtime: Runtime) {
  let service: Promise<SearchService> | undefined
  const search = () => service ??= runtime.store().then(({db}) => createDatabaseSearch({
    database: db, embedderFor: (slot) => createEmbedder('local', {model: slot.model, dimensions: slot.dimensions}),
  }))
  const slotHint = 'Name the slot in the request (`slot`); GET /api/v1/search/slots lists them.'

  return {
    async search(method: SearchMethod, request: SearchRequest): Promise<SearchResponse & {query: string}> {
      if (request.query.trim() === '') {
        throw new UserInputError('SEARCH_QUERY_EMPTY', 'The search query is empty.', {hint: 'Send the text to search for in `query`.'})
      }
      const s = await search()
      const {query, slot, limit, source, language} = request
      if (method === 'keyword') return {query, ...await s.keyword(query, {slot, limit, source, language})}
      const resolved = slot ?? await onlySlot(s, slotHint)
      const response = method === 'vector'
        ? await s.vector(query, {slot: resolved, limit, source})
        : await s.hybrid(query, {slot: resolved, limit, source, language})
      return {query, ...response}
    },

    async slots(): Promise<{slots: SlotInfo[]; vector: VectorCapability; warning?: string}> {
      const s = await search()
      const [slots, capabilities] = await Promise.all([s.slots(), s.capabilities()])
      return {slots, ...capabilities}
    },

    async sources(options: {slot?: string; limit?: number; offset?: number}): Promise<Page<SourceInfo>> {
      const s = await search()
      const bounds = pageBounds(options)
      const [items, total] = await Promise.all([s.sources({slot: options.slot, ...bounds}), s.countSources({slot: options.slot})])
      return toPage(items, total, bounds)
    },
  }
}
