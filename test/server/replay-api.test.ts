import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {Runtime} from '../../src/runtime/runtime.js'
import {replayPipelineYaml, writeReplayPages} from '../helpers/replay-pipeline.js'
import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)
const PAGES = 3

/** The texts of the segments an execution stored (stage `segments` of route `segment`), sorted. */
async function segmentTexts(runtime: Runtime, executionId: string, route = 'segment'): Promise<string[]> {
  const listing = await runtime.storage.list(`executions/${executionId}/${route}/segments/`)
  const texts = await Promise.all(listing.objects.map(async (object) => (await runtime.storage.get(object.key)).body.toString('utf8')))
  return texts.sort()
}

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`the replay API on ${store}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    let parentId: string
    let parentSegments: string[]

    const ended = async (id: string) => {
      await server.runtime.executions.get(id)?.outcome
      return (await server.call('GET', `/api/v1/executions/${id}`)).body
    }
    const replayCount = async () => (await server.call('GET', '/api/v1/executions/replay-parent/replays')).body.total as number

    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({databaseUrl: scratch?.url})
      const pages = path.join(server.work, 'pages')
      await writeReplayPages(pages, PAGES)
      const config = await server.call('POST', '/api/v1/configs', {name: 'replayable', config_yaml: replayPipelineYaml('replayable', pages)})
      expect(config.status).toBe(201)
      const started = await server.call('POST', `/api/v1/configs/${config.body.id}/run?tag=replay-parent`)
      parentId = started.body.id
      expect(await ended(parentId)).toMatchObject({status: 'completed', summary: {messages: {dead_lettered: 0}}})
      parentSegments = await segmentTexts(server.runtime, parentId)
    }, 90_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('replays the markdown stage into the segment route: the same segments, every lineage row in the batch, a chain back to the parent', async () => {
      expect(parentSegments.length).toBeGreaterThan(PAGES)
      const replay = await server.call('POST', '/api/v1/executions/replay-parent/replay', {from_stage: 'markdown', tag: 'replay-child'})
      expect(replay.status).toBe(201)
      expect(replay.body).toMatchObject({
        tag: 'replay-child', parent_execution_id: parentId, config_name: 'replayable',
        replay_source: {from_execution_id: parentId, from_stage: 'markdown', from_routes: ['convert'], to_route: 'segment', mode: 'execution', found: PAGES, published: PAGES, failed: 0},
      })
      const childId: string = replay.body.id
      const batchId: string = replay.body.replay_source.replay_batch_id
      const child = await ended(childId)
      expect(child.status).toBe('completed')
      // Nothing ran before the segment route: the replay skipped the init message and the routes upstream.
      expect(child.summary.routes).toMatchObject({read: {received: 0}, convert: {received: 0}, segment: {received: PAGES, completed: PAGES}})
      expect(await segmentTexts(server.runtime, childId)).toEqual(parentSegments)

      const rows = await server.call('GET', `/api/v1/lineage?execution_id=${childId}&limit=1000`)
      expect(rows.body.total).toBeGreaterThan(PAGES)
      expect(rows.body.lineage.every((row: {replay_batch_id: string | null}) => row.replay_batch_id === batchId)).toBe(true)
      const batch = await server.call('GET', `/api/v1/lineage/batch/${batchId}?limit=1000`)
      expect(batch.body.total).toBe(rows.body.total)

      // A stored segment's row walks back through the replayed message into the parent's convert route.
      const leaf = rows.body.lineage.find((row: {stage_name: string}) => row.stage_name === 'segments')
      const chain = await server.call('GET', `/api/v1/lineage/${leaf.id}/chain`)
      expect(chain.status).toBe(200)
      const ancestorsInParent = chain.body.ancestors.filter((row: {execution_id: string}) => row.execution_id === parentId)
      expect(ancestorsInParent.map((row: {route_id: string; stage_name: string}) => `${row.route_id}/${row.stage_name}`)).toContain('convert/markdown')
      expect(ancestorsInParent.map((row: {route_id: string}) => row.route_id)).toContain('read')

      const listed = await server.call('GET', '/api/v1/executions/replay-parent/replays')
      expect(listed.status).toBe(200)
      expect(listed.body).toMatchObject({total: 1, has_more: false, replays: [{id: childId, parent_execution_id: parentId, replay_source: {replay_batch_id: batchId}}]})
      expect(listed.body.replays[0].config_snapshot).toBeUndefined()
    }, 60_000)

    it('replays detached: one artefact by from_path into a route of another config', async () => {
      const other = await server.call('POST', '/api/v1/configs', {name: 'cut-only', config_yaml: `version: "1.0"
name: cut-only
routes:
  cut:
    inbound: {queue: /queue/cut}
    adapters:
      - type: storage_retriever
      - type: smart_segmenter
        config: {max_tokens: 48, min_tokens: 0}
      - type: segment_publisher
      - type: markdown_storage_writer
        id: segments
init_message: {route: cut, payload: {}}
`})
      expect(other.status).toBe(201)
      const artefacts = await server.runtime.storage.list(`executions/${parentId}/convert/markdown/`, {includeMetadata: true})
      const one = artefacts.objects[0]!
      const fromPath = path.posix.basename(one.key)
      const before = await replayCount()
      const replay = await server.call('POST', '/api/v1/replay', {
        from_execution_id: 'replay-parent', from_stage: 'markdown', from_path: fromPath, to_route: 'cut', config_id: other.body.id,
      })
      expect(replay.status).toBe(201)
      expect(replay.body).toMatchObject({from_execution_id: parentId, to_route: 'cut', config_id: other.body.id, mode: 'detached', found: 1, published: 1, failed: 0})
      const child = await ended(replay.body.execution_id)
      expect(child).toMatchObject({status: 'completed', config_id: other.body.id, parent_execution_id: parentId, replay_source: {replay_batch_id: replay.body.replay_batch_id}})
      // The document's own segments, as the parent cut them.
      const texts = await segmentTexts(server.runtime, child.id, 'cut')
      expect(texts.length).toBeGreaterThan(0)
      expect(parentSegments).toEqual(expect.arrayContaining(texts))
      const page = (await server.runtime.storage.get(one.key)).body.toString('utf8')
      for (const text of texts) expect(page).toContain(text.split('\n').at(-1))
      expect(await replayCount()).toBe(before + 1)
    }, 60_000)

    it('answers 404 for an unknown execution or config', async () => {
      const unknown = await server.call('POST', '/api/v1/executions/no-such-execution/replay', {from_stage: 'markdown'})
      expect(unknown.status).toBe(404)
      expect(unknown.body).toMatchObject({error_code: 'EXECUTION_NOT_FOUND'})
      expect(typeof unknown.body.correlation_id).toBe('string')
      expect((await server.call('GET', '/api/v1/executions/no-such-execution/replays')).body.error_code).toBe('EXECUTION_NOT_FOUND')
      expect((await server.call('POST', '/api/v1/replay', {from_execution_id: 'no-such-execution', from_stage: 'markdown', to_route: 'segment'})).status).toBe(404)
      const config = await server.call('POST', '/api/v1/executions/replay-parent/replay', {from_stage: 'markdown', config_id: '0190b3a4-0000-7000-8000-000000000000'})
      expect(config).toMatchObject({status: 404, body: {error_code: 'CONFIG_NOT_FOUND'}})
    })

    it('answers 422 for a body that fails its schema', async () => {
      for (const body of [{}, {from_stage: ''}, {from_stage: 'markdown', extra: 1}, {from_stage: 'markdown', config_id: 'not-a-uuid'}]) {
        const answer = await server.call('POST', '/api/v1/executions/replay-parent/replay', body)
        expect(answer.status, JSON.stringify(body)).toBe(422)
        expect(answer.body.error_code).toBe('REQUEST_INVALID')
        expect(answer.body.detail[0]).toMatchObject({loc: expect.arrayContaining(['json']), msg: expect.any(String), type: expect.any(String)})
      }
      const detached = await server.call('POST', '/api/v1/replay', {from_execution_id: 'replay-parent', from_stage: 'markdown'})
      expect(detached.status).toBe(422)
      expect(detached.body.detail[0].loc).toEqual(['json', 'to_route'])
    })

    it('refuses a stage, route or artefact set it cannot replay (400), and starts nothing', async () => {
      const before = await replayCount()
      const call = (body: Record<string, unknown>) => server.call('POST', '/api/v1/executions/replay-parent/replay', body)
      expect(await call({from_stage: 'nope'})).toMatchObject({status: 400, body: {error_code: 'REPLAY_STAGE_NOT_FOUND', details: {stages: expect.arrayContaining(['markdown', 'segments'])}}})
      expect(await call({from_stage: 'markdown', to_route: 'nope'})).toMatchObject({status: 400, body: {error_code: 'REPLAY_ROUTE_NOT_FOUND'}})
      // html_to_markdown keeps small pages inline: it stored nothing.
      expect(await call({from_stage: 'html_to_markdown'})).toMatchObject({status: 400, body: {error_code: 'REPLAY_NO_ARTEFACTS'}})
      // The segment route feeds no route.
      expect(await call({from_stage: 'segments'})).toMatchObject({status: 400, body: {error_code: 'REPLAY_TO_ROUTE_REQUIRED'}})
      // A from_path that climbs out of the stage's folder.
      const climb = await server.call('POST', '/api/v1/replay', {from_execution_id: 'replay-parent', from_stage: 'markdown', from_path: '../../read', to_route: 'segment'})
      expect(climb).toMatchObject({status: 400, body: {error_code: 'STORAGE_INVALID_KEY'}})
      expect(await replayCount()).toBe(before)
    })

    it('fails loudly with the missing keys when a listed artefact cannot be read (409), and starts nothing', async () => {
      const before = await replayCount()
      const gone = (await server.runtime.storage.list(`executions/${parentId}/convert/markdown/`)).objects[1]!.key
      const head = server.runtime.storage.head.bind(server.runtime.storage)
      const spy = vi.spyOn(server.runtime.storage, 'head').mockImplementation(async (key) => (key === gone ? null : head(key)))
      try {
        const answer = await server.call('POST', '/api/v1/executions/replay-parent/replay', {from_stage: 'markdown'})
        expect(answer).toMatchObject({status: 409, body: {error_code: 'REPLAY_ARTEFACTS_MISSING', details: {missing_keys: [gone], missing: 1}}})
        expect(answer.body.detail).toContain(gone)
      } finally {
        spy.mockRestore()
      }
      expect(await replayCount()).toBe(before)
    })

    it('refuses to replay a running execution (409)', async () => {
      const config = await server.call('POST', '/api/v1/configs', {name: 'slow', config_yaml: testPipelineYaml({name: 'slow', count: 2, delayMs: 5000})})
      const running = await server.call('POST', `/api/v1/configs/${config.body.id}/run`)
      expect(running.status).toBe(201)
      try {
        const answer = await server.call('POST', `/api/v1/executions/${running.body.id}/replay`, {from_stage: 'fan_out', to_route: 'work'})
        expect(answer).toMatchObject({status: 409, body: {error_code: 'REPLAY_SOURCE_RUNNING', details: {status: 'running'}}})
        expect((await server.call('POST', '/api/v1/replay', {from_execution_id: running.body.id, from_stage: 'fan_out', to_route: 'work'})).status).toBe(409)
      } finally {
        await server.call('POST', `/api/v1/executions/${running.body.id}/cancel`)
      }
    }, 30_000)
  })
}
