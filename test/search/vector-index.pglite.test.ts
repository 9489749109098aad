import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Database} from '../../src/db/types.js'
import type {SearchService} from '../../src/search/search-service.js'
import {createVectorIndex, dropVectorIndex, findVectorIndex} from '../../src/search/vector-index.js'
import {openSearchCorpus} from './corpus.js'

let db: Database
let search: SearchService

beforeAll(async () => {
  ({db, search} = await openSearchCorpus(['docs', 'other:slot']))
})
afterAll(async () => { await db?.close() })

// Hits sharing no word with the query all score 0: their order is arbitrary, so they are left out.
const ids = async (query: string, slot: string, source?: string) =>
  (await search.vector(query, {slot, limit: 3, source})).hits.filter((hit) => hit.score > 1e-6).map((hit) => `${hit.document_id}#${hit.segment_index}`)

describe('HNSW index of one slot (PGlite)', () => {
  it('is built on request, used by vector search, and answers as the exact scan did', async () => {
    const queries = ['how do I install factflow', 'baking sourdough in the oven', 'rabbitmq broker messages']
    const exact = await Promise.all(queries.map((query) => ids(query, 'docs')))
    expect(await findVectorIndex(db, 'docs')).toBeUndefined()

    const index = await createVectorIndex(db, 'docs')
    expect(index).toMatchObject({slot: 'docs', dimensions: 768})
    expect(await findVectorIndex(db, 'docs')).toEqual(index)
    expect(await findVectorIndex(db, "other:slot")).toBeUndefined()
    // The query search runs, with the slot bound as a parameter, can be answered from the partial
    // index (on a dozen rows the planner would rather scan: forbid that to see the plan it has).
    const {rows} = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off')
      return tx.query<{'QUERY PLAN': string}>(
        `EXPLAIN SELECT id FROM embeddings e WHERE e.slot = $1 ORDER BY e.embedding::vector(768) <=> $2::vector(768) LIMIT 3`,
        ['docs', `[${Array.from({length: 768}, (_, i) => (i === 0 ? 1 : 0)).join(',')}]`])
    })
    expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain(index.name)

    expect(await Promise.all(queries.map((query) => ids(query, 'docs')))).toEqual(exact)
    expect(await ids('install factflow with cosine similarity', 'docs', 'file:///notes/')).toEqual(['file:///notes/embeddings.md#0'])
    // Another slot, without an index, still answers by the exact scan.
    expect(await ids('baking sourdough in the oven', "other:slot")).toEqual(exact[1])
  })

  it('is built once and dropped on request', async () => {
    await createVectorIndex(db, 'docs')
    expect(await dropVectorIndex(db, 'docs')).toBe(true)
    expect(await dropVectorIndex(db, 'docs')).toBe(false)
    expect(await findVectorIndex(db, 'docs')).toBeUndefined()
  })

  it('names an unknown slot', async () => {
    await expect(createVectorIndex(db, 'nope')).rejects.toMatchObject({code: 'SEARCH_SLOT_UNKNOWN'})
  })
})
