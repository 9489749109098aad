import {v7 as uuidv7} from 'uuid'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {lineageRow} from '../helpers/lineage-rows.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`the lineage API on ${store}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    let executionId: string
    /** An execution of synthetic rows with metadata, for the filters. */
    let syntheticId: string
    const batchId = uuidv7()

    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({databaseUrl: scratch?.url})
      const config = await server.call('POST', '/api/v1/configs', {name: 'lineage', config_yaml: testPipelineYaml({count: 4})})
      const started = await server.call('POST', `/api/v1/configs/${config.body.id}/run?tag=lineage-run`)
      executionId = started.body.id
      await server.runtime.executions.get(executionId)?.outcome

      const {executions, writer} = await server.runtime.store()
      syntheticId = (await executions.create({config_name: 'synthetic', config_snapshot: {}, tag: 'synthetic'})).id
      const base = Date.UTC(2026, 0, 1)
      const rows = [
        lineageRow({execution_id: syntheticId, route_id: 'crawl', adapter_name: 'web_fetcher', started_at: new Date(base), duration_ms: 30,
          metadata: {url: 'https://docs.test/a', title: 'Install Guide', document_id: 'doc-a', origin: 'sitemap'}}),
        lineageRow({execution_id: syntheticId, route_id: 'crawl', adapter_name: 'web_fetcher', started_at: new Date(base + 1000), duration_ms: 10,
          metadata: {url: 'https://docs.test/b', title: '100% Upgrade_notes', document_id: 'doc-b', origin: 'link'}}),
        lineageRow({execution_id: syntheticId, route_id: 'convert', adapter_name: 'html_to_markdown', started_at: new Date(base + 2000), duration_ms: 20,
          stage_status: 'failed', error_info: {error_class: 'Error', message: 'boom', retryable: false}, metadata: {url: 'https://docs.test/b'},
          replay_batch_id: batchId}),
      ]
      for (const row of rows) writer.write(row)
      await writer.flush(10_000)
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('lists an execution\'s rows with paging, by id or by tag', async () => {
      const all = await server.call('GET', `/api/v1/lineage?execution_id=${executionId}`)
      expect(all.status).toBe(200)
      // One source message (fan_out) and four work messages (delay).
      expect(all.body).toMatchObject({total: 5, limit: 100, offset: 0, has_more: false})
      expect(all.body.lineage[0]).toMatchObject({execution_id: executionId, route_id: 'source', adapter_name: 'fan_out', parent_id: null})
      const page = await server.call('GET', `/api/v1/executions/lineage-run/lineage?limit=2&offset=1`)
      expect(page.body).toMatchObject({total: 5, limit: 2, offset: 1, has_more: true})
      expect(page.body.lineage.map((r: {id: string}) => r.id)).toEqual(all.body.lineage.slice(1, 3).map((r: {id: string}) => r.id))
      const roots = await server.call('GET', `/api/v1/lineage?execution_id=lineage-run&is_root=true`)
      expect(roots.body.total).toBe(1)
      const derived = await server.call('GET', `/api/v1/lineage?execution_id=lineage-run&is_root=false&route_id=work&adapter=delay&status=completed`)
      expect(derived.body.total).toBe(4)
    })

    it('filters by metadata, status and time, and sorts by any listed column', async () => {
      const q = (query: string) => server.call('GET', `/api/v1/lineage?execution_id=synthetic&${query}`)
      expect((await q('url=https%3A%2F%2Fdocs.test%2Fb')).body.total).toBe(2)
      expect((await q('origin=sitemap')).body.lineage.map((r: {metadata: {document_id: string}}) => r.metadata.document_id)).toEqual(['doc-a'])
      expect((await q('document_id=doc-b')).body.total).toBe(1)
      expect((await q('title=install')).body.total).toBe(1)
      // `%` and `_` are literal in a title filter.
      expect((await q('title=100%25%20upgrade_')).body.total).toBe(1)
      expect((await q('title=%25')).body.total).toBe(1)
      expect((await q('status=failed')).body.lineage[0].error_info).toMatchObject({message: 'boom'})
      expect((await q('started_after=2026-01-01T00:00:00.500Z&started_before=2026-01-01T00:00:01.500Z')).body.total).toBe(1)
      const byDuration = await q('sort_by=duration_ms&sort_order=desc')
      expect(byDuration.body.lineage.map((r: {duration_ms: number}) => r.duration_ms)).toEqual([30, 20, 10])
      const byRoute = await q('sort_by=route_id')
      expect(byRoute.body.lineage.map((r: {route_id: string}) => r.route_id)).toEqual(['convert', 'crawl', 'crawl'])
      const newestFirst = await q('sort_order=desc')
      expect(newestFirst.body.lineage[0].route_id).toBe('convert')
    })

    it('gives a row, its chain and its children, linking every work message to the source', async () => {
      const {body: {lineage: rows}} = await server.call('GET', `/api/v1/lineage?execution_id=${executionId}`)
      const root = rows.find((r: {route_id: string}) => r.route_id === 'source')
      const leaf = rows.find((r: {route_id: string}) => r.route_id === 'work')
      expect((await server.call('GET', `/api/v1/lineage/${leaf.id}`)).body).toEqual(leaf)
      const chain = await server.call('GET', `/api/v1/lineage/${leaf.id}/chain`)
      expect(chain.status).toBe(200)
      expect(chain.body.ancestors.map((r: {id: string; depth: number}) => [r.id, r.depth])).toEqual([[root.id, 1]])
      expect(chain.body.siblings.map((r: {id: string}) => r.id)).toEqual([leaf.id])
      expect(chain.body.descendants).toEqual([])
      const down = await server.call('GET', `/api/v1/lineage/${root.id}/chain?max_depth=1`)
      expect(down.body.descendants).toHaveLength(4)
      const children = await server.call('GET', `/api/v1/lineage/${root.id}/children`)
      expect(children.body).toMatchObject({id: root.id, message_id: root.message_id})
      expect(children.body.children.map((r: {parent_id: string}) => r.parent_id)).toEqual([root.message_id, root.message_id, root.message_id, root.message_id])
    })

    it('gives per route and adapter stats: count, completed, failed, avg and p95 duration', async () => {
      const stats = await server.call('GET', `/api/v1/lineage/stats?execution_id=${executionId}`)
      expect(stats.status).toBe(200)
      expect(stats.body.stages.map((s: {route_id: string; adapter_name: string; count: number}) => [s.route_id, s.adapter_name, s.count]))
        .toEqual([['source', 'fan_out', 1], ['work', 'delay', 4]])
      expect(stats.body.totals).toEqual({count: 5, completed: 5, failed: 0, skipped: 0})
      const synthetic = await server.call('GET', '/api/v1/lineage/stats?execution_id=synthetic')
      const crawl = synthetic.body.stages.find((s: {route_id: string}) => s.route_id === 'crawl')
      expect(crawl).toMatchObject({count: 2, completed: 2, failed: 0, avg_duration_ms: 20, p95_duration_ms: 29})
      expect(synthetic.body.totals.failed).toBe(1)
    })

    it('lists failures newest first and the rows of a replay batch', async () => {
      const failures = await server.call('GET', '/api/v1/lineage/failures?execution_id=synthetic')
      expect(failures.body).toMatchObject({total: 1, lineage: [{stage_status: 'failed', route_id: 'convert'}]})
      expect((await server.call('GET', `/api/v1/lineage/failures?execution_id=${executionId}`)).body.total).toBe(0)
      const batch = await server.call('GET', `/api/v1/lineage/batch/${batchId}`)
      expect(batch.body).toMatchObject({total: 1, lineage: [{replay_batch_id: batchId}]})
    })

    it('answers 404 for a missing row, batch or execution and 422 for bad filters', async () => {
      for (const url of [`/api/v1/lineage/${uuidv7()}`, `/api/v1/lineage/${uuidv7()}/chain`, `/api/v1/lineage/${uuidv7()}/children`, '/api/v1/lineage/not-an-id',
        `/api/v1/lineage/batch/${uuidv7()}`, '/api/v1/lineage/batch/nope', '/api/v1/lineage?execution_id=no-such-tag', '/api/v1/lineage/stats?execution_id=no-such-tag',
        `/api/v1/executions/${uuidv7()}/lineage`]) {
        const reply = await server.call('GET', url)
        expect(reply.status, url).toBe(404)
        expect(reply.body.error_code, url).toMatch(/_NOT_FOUND$/)
      }
      for (const query of ['sort_by=metadata', 'sort_order=up', 'status=done', 'is_root=yes', 'started_after=yesterday', 'limit=1001', 'offset=-1']) {
        const reply = await server.call('GET', `/api/v1/lineage?${query}`)
        expect(reply.status, query).toBe(422)
        expect(reply.body.detail[0]).toMatchObject({loc: expect.arrayContaining(['query']), msg: expect.any(String), type: expect.any(String)})
      }
      expect((await server.call('GET', '/api/v1/lineage/stats')).status).toBe(422)
    })
  })
}
