import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCorpus} from '../search/corpus.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTestServer, type TestServer} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`search over HTTP on ${store === 'pglite' ? 'PGlite (pgvector)' : 'PostgreSQL 15 (no pgvector)'}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({databaseUrl: scratch?.url})
      await loadCorpus((await server.runtime.store()).db)
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('answers keyword searches with ranked segments', async () => {
      const reply = await server.call('POST', '/api/v1/search/keyword', {query: 'sourdough oven', limit: 3})
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({query: 'sourdough oven', mode: 'keyword'})
      expect(reply.body.hits[0]).toMatchObject({document_id: 'https://docs.test/bread', slot: 'docs', text: expect.stringContaining('Sourdough')})
    })

    it(store === 'pglite' ? 'answers vector and hybrid searches with cosine and RRF scores' : 'answers vector and hybrid searches by keyword search with a warning, and health says why', async () => {
      const vector = await server.call('POST', '/api/v1/search', {query: 'baking sourdough in the oven', limit: 2})
      const hybrid = await server.call('POST', '/api/v1/search/hybrid', {query: 'rabbitmq message brokers', slot: 'docs', limit: 2})
      expect(vector.status).toBe(200)
      expect(hybrid.status).toBe(200)
      expect(vector.body.hits[0].document_id).toBe('https://docs.test/bread')
      expect(hybrid.body.hits[0].document_id).toBe('https://docs.test/queues')
      const health = await server.call('GET', '/api/v1/system/health')
      const slots = await server.call('GET', '/api/v1/search/slots')
      if (store === 'pglite') {
        expect(vector.body).toMatchObject({mode: 'vector'})
        expect(vector.body.warning).toBeUndefined()
        expect(hybrid.body).toMatchObject({mode: 'hybrid'})
        expect(slots.body).toMatchObject({vector: 'pgvector'})
        expect(health.body.components.database.status).toBe('healthy')
      } else {
        for (const reply of [vector, hybrid]) expect(reply.body).toMatchObject({mode: 'keyword', warning: expect.stringMatching(/no pgvector extension; answered by keyword search/)})
        expect(slots.body).toMatchObject({vector: 'unavailable', warning: expect.stringMatching(/fall back to keyword/)})
        expect(health.body.status).toBe('degraded')
        expect(health.body.components.database).toMatchObject({status: 'degraded', detail: expect.stringMatching(/vector extension is missing/)})
      }
    })

    it('lists slots and pages through sources', async () => {
      const slots = await server.call('GET', '/api/v1/search/slots')
      expect(slots.status).toBe(200)
      expect(slots.body.slots).toEqual([expect.objectContaining({slot: 'docs', documents: 4, segments: 6, dimensions: expect.any(Number)})])
      const first = await server.call('GET', '/api/v1/search/sources?limit=3')
      expect(first.body).toMatchObject({total: 4, limit: 3, offset: 0, has_more: true})
      expect(first.body.sources).toHaveLength(3)
      const rest = await server.call('GET', '/api/v1/search/sources?limit=3&offset=3')
      expect(rest.body).toMatchObject({total: 4, has_more: false})
      expect(rest.body.sources).toEqual([expect.objectContaining({segments: expect.any(Number), slots: ['docs']})])
      const ids = [...first.body.sources, ...rest.body.sources].map((s: {document_id: string}) => s.document_id)
      expect(new Set(ids).size).toBe(4)
      expect((await server.call('GET', '/api/v1/search/sources?slot=nope')).body).toMatchObject({sources: [], total: 0})
    })

    it('answers 404 for an unknown slot and 422 for bodies and queries that fail their schema', async () => {
      const unknown = await server.call('POST', '/api/v1/search', {query: 'x', slot: 'nope'})
      if (store === 'pglite') expect(unknown).toMatchObject({status: 404, body: {error_code: 'SEARCH_SLOT_UNKNOWN'}})
      else expect(unknown).toMatchObject({status: 200, body: {mode: 'keyword', hits: []}})
      expect((await server.call('POST', '/api/v1/search/hybrid', {query: 'x', slot: 'nope'})).status).toBe(store === 'pglite' ? 404 : 200)
      for (const [path, body] of [
        ['/api/v1/search', {}], ['/api/v1/search', {query: '   '}], ['/api/v1/search/keyword', {query: 'x', limit: 0}],
        ['/api/v1/search/hybrid', {query: 'x', admin: true}], ['/api/v1/search/keyword', {query: 'x', language: 'DROP TABLE'}],
      ] as const) {
        const reply = await server.call('POST', path, body)
        expect(reply.status, JSON.stringify(body)).toBe(422)
        expect(reply.body.detail[0]).toMatchObject({loc: expect.arrayContaining(['json']), msg: expect.any(String)})
      }
      expect((await server.call('GET', '/api/v1/search/sources?limit=0')).status).toBe(422)
      expect((await server.call('POST', '/api/v1/search/keyword', {query: 'x', language: 'klingon'}))).toMatchObject({status: 400, body: {error_code: 'SEARCH_LANGUAGE_UNKNOWN'}})
    })
  })
}
