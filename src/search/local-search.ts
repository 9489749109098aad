import {createEmbedder} from '../embeddings/embedder.js'
import {UserInputError} from '../errors/index.js'
import {onlySlot} from './only-slot.js'
import {createSearchService} from './search-service.js'
import type {SearchResponse} from './search-types.js'

export type SearchKind = 'semantic' | 'keyword' | 'hybrid'

export interface LocalSearchOptions {
  kind: SearchKind
  query: string
  /** The embedded database `factflow run` wrote (default ./output/db), or a postgres:// URL. */
  databaseUrl: string
  limit?: number
  slot?: string
  source?: string
}

/**
 * `factflow search … --local`: the search service over the database an inline run wrote. Vector
 * and hybrid searches use the slot's own embedder (the offline `local` one for its model); with
 * one slot in the database, `slot` may be left out.
 */
export async function searchLocal(options: LocalSearchOptions): Promise<SearchResponse> {
  if (options.query.trim() === '') throw new UserInputError('SEARCH_QUERY_EMPTY', 'The search query is empty.', {hint: 'Pass the text to search for, e.g. factflow search hybrid "retry policy" --local'})
  const {openDatabase} = await import('../db/open-database.js')
  const {migrate} = await import('../db/migrate.js')
  const database = await openDatabase(options.databaseUrl)
  try {
    await migrate(database)
    const service = createSearchService({
      database,
      embedderFor: (slot) => createEmbedder('local', {model: slot.model, dimensions: slot.dimensions}),
    })
    if (options.kind === 'keyword') return await service.keyword(options.query, {limit: options.limit, slot: options.slot, source: options.source})
    const slot = options.slot ?? await onlySlot(service, 'Pick one with --slot.')
    const request = {slot, limit: options.limit, source: options.source}
    return options.kind === 'semantic' ? await service.vector(options.query, request) : await service.hybrid(options.query, request)
  } finally {
    await database.close()
  }
}

export interface LocalVectorIndexOptions {
  databaseUrl: string
  /** Default: the only slot in the database. */
  slot?: string
  /** Drop the slot's index instead of building it. */
  drop?: boolean
}

export interface LocalVectorIndexResult {
  slot: string
  index: string
  /** Vectors in the slot. */
  vectors: number
  action: 'built' | 'existed' | 'dropped' | 'absent'
  seconds: number
}

/**
 * `factflow search vector-index --local`: builds (or drops) the HNSW index of one slot in the
 * database an inline run wrote; see `createVectorIndex` for when it pays.
 */
export async function vectorIndexLocal(options: LocalVectorIndexOptions): Promise<LocalVectorIndexResult> {
  const {openDatabase} = await import('../db/open-database.js')
  const {migrate} = await import('../db/migrate.js')
  const {createVectorIndex, dropVectorIndex, findVectorIndex, vectorIndexName} = await import('./vector-index.js')
  const database = await openDatabase(options.databaseUrl)
  try {
    await migrate(database)
    const service = createSearchService({database, embedderFor: (slot) => createEmbedder('local', {model: slot.model, dimensions: slot.dimensions})})
    const slot = options.slot ?? await onlySlot(service, 'Pick one with --slot.')
    const vectors = (await service.slots()).find((info) => info.slot === slot)?.segments ?? 0
    const started = performance.now()
    let action: LocalVectorIndexResult['action']
    if (options.drop) action = await dropVectorIndex(database, slot) ? 'dropped' : 'absent'
    else if (await findVectorIndex(database, slot) !== undefined) action = 'existed'
    else {
      await createVectorIndex(database, slot)
      action = 'built'
    }
    return {slot, index: vectorIndexName(slot), vectors, action, seconds: (performance.now() - started) / 1000}
  } finally {
    await database.close()
  }
}
