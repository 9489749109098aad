import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrate} from '../../src/db/migrate.js'
import {openDatabase} from '../../src/db/open-database.js'
import type {Database} from '../../src/db/types.js'
import {createSearchService} from '../../src/search/search-service.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {embedderFor, loadCorpus} from './corpus.js'

const available = await serviceAvailable('PostgreSQL', POSTGRES_URL)

describe.skipIf(!available)('search on PostgreSQL 15 without pgvector', () => {
  let scratch: ScratchDatabase
  let db: Database
  beforeAll(async () => {
    scratch = await createScratchDatabase()
    db = await openDatabase(scratch.url)
    await migrate(db)
    await loadCorpus(db)
  })
  afterAll(async () => {
    await db?.close()
    await scratch?.drop()
  })

  it('searches by keyword', async () => {
    const {hits} = await createSearchService({database: db, embedderFor}).keyword('sourdough oven')
    expect(hits.map((hit) => hit.document_id)).toEqual(['https://docs.test/bread'])
  })

  it('reports vector search unavailable and answers vector and hybrid searches by keyword', async () => {
    const search = createSearchService({database: db, embedderFor})
    expect(await search.capabilities()).toMatchObject({vector: 'unavailable', warning: expect.stringContaining('pgvector')})
    for (const response of [await search.vector('rabbitmq', {slot: 'docs'}), await search.hybrid('rabbitmq', {slot: 'docs'})]) {
      expect(response.mode).toBe('keyword')
      expect(response.warning).toMatch(/unavailable/)
      expect(response.hits[0].document_id).toBe('https://docs.test/queues')
    }
  })

  it('computes exact cosine over real[] when asked to', async () => {
    const search = createSearchService({database: db, embedderFor, withoutPgvector: 'exact'})
    expect((await search.capabilities()).vector).toBe('exact')
    const response = await search.vector('baking sourdough in the oven', {slot: 'docs', limit: 2})
    expect(response.mode).toBe('vector')
    expect(response.hits[0].document_id).toBe('https://docs.test/bread')
    const hybrid = await search.hybrid('how do I install factflow', {slot: 'docs', limit: 2})
    expect(hybrid.hits[0].document_id).toBe('https://docs.test/install')
  })

  it('stores the same rows as on PGlite, re-run unchanged', async () => {
    const before = await db.query('SELECT id, content_hash FROM embeddings ORDER BY id')
    await loadCorpus(db)
    expect((await db.query('SELECT id, content_hash FROM embeddings ORDER BY id')).rows).toEqual(before.rows)
  })
})
