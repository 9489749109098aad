import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Database} from '../../src/db/types.js'
import type {SearchService} from '../../src/search/search-service.js'
import {openSearchCorpus} from './corpus.js'

let db: Database
let search: SearchService

beforeAll(async () => {
  ({db, search} = await openSearchCorpus())
})
afterAll(async () => { await db?.close() })

describe('search on PGlite (pgvector)', () => {
  it('finds the right document by meaning with vector search', async () => {
    const cases: [string, string][] = [
      ['how do I install factflow', 'https://docs.test/install'],
      ['baking sourdough in the oven', 'https://docs.test/bread'],
      ['rabbitmq broker messages', 'https://docs.test/queues'],
      ['cosine similarity of vectors', 'file:///notes/embeddings.md'],
    ]
    for (const [query, expected] of cases) {
      const response = await search.vector(query, {slot: 'docs', limit: 3})
      expect(response.mode).toBe('vector')
      expect(response.hits[0].document_id, query).toBe(expected)
      expect(response.hits[0].score).toBeGreaterThan(response.hits[1].score)
    }
  })

  it('returns hits with text, heading path, metadata and a score', async () => {
    const {hits} = await search.vector('sourdough', {slot: 'docs', limit: 1})
    expect(hits[0]).toMatchObject({
      document_id: 'https://docs.test/bread', segment_index: 0, slot: 'docs', heading_path: ['Guide', 'Part 0'],
      metadata: expect.objectContaining({url: 'https://docs.test/bread'}),
    })
    expect(hits[0].text).toContain('Sourdough')
    expect(hits[0].score).toBeGreaterThan(0)
    expect(hits[0].score).toBeLessThanOrEqual(1)
  })

  it('restricts vector search to a source prefix', async () => {
    const {hits} = await search.vector('install factflow', {slot: 'docs', source: 'file:///notes/'})
    expect(hits.map((hit) => hit.document_id)).toEqual(['file:///notes/embeddings.md'])
  })

  it('ranks keyword matches with websearch syntax', async () => {
    const {hits, mode} = await search.keyword('rabbitmq OR sourdough', {limit: 5})
    expect(mode).toBe('keyword')
    expect(new Set(hits.map((hit) => hit.document_id))).toEqual(new Set(['https://docs.test/queues', 'https://docs.test/bread']))
    expect((await search.keyword('"in-memory broker"')).hits.map((hit) => hit.document_id)).toEqual(['https://docs.test/queues'])
    expect((await search.keyword('-rabbitmq sourdough')).hits).toHaveLength(1)
  })

  it('answers a typed question by keyword: any of its words, function words ignored', async () => {
    const {hits} = await search.keyword('How do I bake a loaf of sourdough bread?')
    expect(hits[0].document_id).toBe('https://docs.test/bread')
    // Only function words: they are all there is to search for.
    expect((await search.keyword('how do I')).hits.length).toBeGreaterThan(0)
    // Quotes and backslashes in a word do not break the query.
    expect((await search.keyword("it's a back\\slash sourdough")).hits[0].document_id).toBe('https://docs.test/bread')
  })

  it('fuses vector and keyword ranks in hybrid search', async () => {
    const response = await search.hybrid('upgrading migrations', {slot: 'docs', limit: 3})
    expect(response.mode).toBe('hybrid')
    expect(response.hits[0]).toMatchObject({document_id: 'https://docs.test/install', segment_index: 1})
    // In both lists at rank 1: 2 / (60 + 1).
    expect(response.hits[0].score).toBeCloseTo(2 / 61, 6)
  })

  it('answers a query without words with no vector hits', async () => {
    expect((await search.vector('?!', {slot: 'docs'})).hits).toEqual([])
  })

  it('lists slots and sources', async () => {
    expect(await search.slots()).toEqual([expect.objectContaining({slot: 'docs', model: 'factflow-hash-v2', dimensions: 768, segments: 6, documents: 4})])
    const sources = await search.sources()
    expect(sources.map((source) => source.document_id)).toEqual([
      'file:///notes/embeddings.md', 'https://docs.test/bread', 'https://docs.test/install', 'https://docs.test/queues'])
    expect(sources[2]).toMatchObject({segments: 2, slots: ['docs'], url: 'https://docs.test/install', title: 'Title of https://docs.test/install'})
    expect(await search.capabilities()).toEqual({vector: 'pgvector'})
  })

  it('names an unknown slot and an unknown language', async () => {
    await expect(search.vector('x', {slot: 'nope'})).rejects.toMatchObject({code: 'SEARCH_SLOT_UNKNOWN'})
    await expect(search.keyword('x', {language: 'klingon'})).rejects.toMatchObject({code: 'SEARCH_LANGUAGE_UNKNOWN'})
  })
})
