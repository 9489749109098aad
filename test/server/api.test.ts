import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {startTestServer, type TestServer, testPipelineYaml} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
async function waitForStatus(server: TestServer, id: string, wanted: string[], timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const {body} = await server.call('GET', `/api/v1/executions/${id}`)
    if (wanted.includes(body.status)) return body
    if (Date.now() > deadline) throw new Error(`execution ${id} is ${body.status}, not ${wanted.join('/')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`the HTTP API on ${store}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({databaseUrl: scratch?.url, maxConcurrentExecutions: 2})
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('reports health per component and info', async () => {
      const health = await server.call('GET', '/api/v1/system/health')
      expect(health.status).toBe(200)
      expect(Object.keys(health.body.components)).toEqual(expect.arrayContaining(['database', 'broker', 'storage', 'orchestrator', 'llm.local']))
      expect(health.body.components.broker.status).toBe('healthy')
      const info = await server.call('GET', '/api/v1/system/info')
      expect(info.body).toMatchObject({limits: {max_concurrent_executions: 2}, queue: {provider: 'memory'}})
      const diagnostic = await server.call('POST', '/api/v1/system/mq-diagnostic')
      expect(diagnostic.body).toMatchObject({ok: true, provider: 'memory'})
    })

    it('stores a config even when invalid, with its report, and refuses only unparsable YAML', async () => {
      const valid = await server.call('POST', '/api/v1/configs', {name: `valid-${store}`, config_yaml: testPipelineYaml()})
      expect(valid.status).toBe(201)
      expect(valid.body).toMatchObject({version: 1, is_runnable: true, validation_report: {is_valid: true}, config_hash: expect.stringMatching(/^[0-9a-f]{64}$/)})
      const invalid = await server.call('POST', '/api/v1/configs', {name: `invalid-${store}`, config_yaml: 'version: "1.0"\nroutes: {}\n'})
      expect(invalid.status).toBe(201)
      expect(invalid.body.is_runnable).toBe(false)
      expect(invalid.body.validation_report.error_count).toBeGreaterThan(0)
      const broken = await server.call('POST', '/api/v1/configs', {name: `broken-${store}`, config_yaml: 'routes: [unclosed'})
      expect(broken.status).toBe(400)
      expect(broken.body).toMatchObject({error_code: 'CONFIG_YAML_UNPARSABLE', correlation_id: expect.any(String), timestamp: expect.any(String)})
      const run = await server.call('POST', `/api/v1/configs/${invalid.body.id}/run`)
      expect(run.status).toBe(400)
      expect(run.body.error_code).toBe('CONFIG_NOT_RUNNABLE')
      const duplicate = await server.call('POST', '/api/v1/configs', {name: `valid-${store}`, config_yaml: testPipelineYaml()})
      expect(duplicate.status).toBe(409)
    })

    it('answers 422 with loc/msg/type for bodies and queries that fail their schema', async () => {
      const missing = await server.call('POST', '/api/v1/configs', {name: 'x'})
      expect(missing.status).toBe(422)
      expect(missing.body.detail[0]).toMatchObject({loc: ['json', 'config_yaml'], type: expect.any(String), msg: expect.any(String)})
      const extra = await server.call('POST', '/api/v1/configs', {name: 'x', config_yaml: 'a: 1', admin: true})
      expect(extra.status).toBe(422)
      const paging = await server.call('GET', '/api/v1/executions?limit=0')
      expect(paging.status).toBe(422)
      const notJson = await server.call('POST', '/api/v1/configs', '{"name": ')
      expect([400, 422]).toContain(notJson.status)
      expect(JSON.stringify(notJson.body)).not.toMatch(/at .*\.(js|ts):\d+/)
    })

    it('versions a config on update and validates without storing', async () => {
      const created = await server.call('POST', '/api/v1/configs', {name: `versions-${store}`, config_yaml: testPipelineYaml()})
      const updated = await server.call('PUT', `/api/v1/configs/${created.body.id}`, {config_yaml: testPipelineYaml({count: 7})})
      expect(updated.body).toMatchObject({version: 2})
      expect(updated.body.config_hash).not.toBe(created.body.config_hash)
      const versions = await server.call('GET', `/api/v1/configs/${created.body.id}/versions`)
      expect(versions.body.versions.map((v: {version: number; is_active: boolean}) => [v.version, v.is_active])).toEqual([[2, true], [1, false]])
      const report = await server.call('POST', '/api/v1/configs/validate', {config_yaml: 'version: "1.0"\nroutes: {a: {}}\n'})
      expect(report.status).toBe(200)
      expect(report.body.is_valid).toBe(false)
      expect(report.body.issues[0]).toMatchObject({code: expect.stringMatching(/^E\d+/), line: expect.any(Number)})
      const deleted = await server.call('DELETE', `/api/v1/configs/${created.body.id}`)
      expect(deleted.status).toBe(204)
      const listed = await server.call('GET', '/api/v1/configs?active=false')
      expect(listed.body.configs.map((c: {id: string}) => c.id)).toContain(created.body.id)
      expect((await server.call('GET', '/api/v1/configs/01a24dd2-0000-7000-8000-000000000000')).status).toBe(404)
    })

    it('runs a config to completion and serves it by id and tag, with stats, dag, routes and monitor', async () => {
      const config = await server.call('POST', '/api/v1/configs', {name: `run-${store}`, config_yaml: testPipelineYaml({count: 5})})
      const started = await server.call('POST', '/api/v1/executions', {config_id: config.body.id, tag: `tag-${store}`})
      expect(started.status).toBe(201)
      expect(started.body).toMatchObject({tag: `tag-${store}`, config_id: config.body.id})
      expect(['running', 'completed']).toContain(started.body.status)
      const done = await waitForStatus(server, `tag-${store}`, ['completed'])
      expect(done.summary.messages).toMatchObject({completed: 6, dead_lettered: 0})
      const stats = await server.call('GET', `/api/v1/executions/${done.id}/stats`)
      expect(stats.body.routes.work).toMatchObject({received: 5, completed: 5})
      const dag = await server.call('GET', `/api/v1/executions/${done.id}/dag`)
      expect(dag.body.nodes.map((n: {route_id: string}) => n.route_id).sort()).toEqual(['source', 'work'])
      expect(dag.body.edges).toEqual([{from_route: 'source', to_route: 'work', queue: `/queue/exec.${done.id}.work`}])
      const routes = await server.call('GET', `/api/v1/executions/${done.id}/routes`)
      expect(routes.body.routes).toHaveLength(2)
      const monitor = await server.call('GET', `/api/v1/executions/tag-${store}/monitor`)
      expect(monitor.body).toMatchObject({execution: {id: done.id, status: 'completed'}, totals: {completed: 6}})
      const list = await server.call('GET', `/api/v1/executions?status=completed&config_id=${config.body.id}`)
      expect(list.body).toMatchObject({total: 1, limit: 100, offset: 0, has_more: false})
      const byTag = await server.call('GET', `/api/v1/executions?tag=${encodeURIComponent(`tag-${store.slice(0, 2)}`)}`)
      expect(byTag.body.executions.map((e: {id: string}) => e.id)).toContain(done.id)
      expect(byTag.body.executions.every((e: {tag: string | null}) => e.tag?.startsWith(`tag-${store.slice(0, 2)}`))).toBe(true)
      // LIKE's wildcards are the text itself: `_` and `%` match only themselves.
      expect((await server.call('GET', `/api/v1/executions?tag=${encodeURIComponent(`ta_-${store}`)}`)).body.total).toBe(0)
      expect((await server.call('GET', '/api/v1/executions?tag=%25')).body.total).toBe(0)
      expect((await server.call('GET', '/api/v1/executions/no-such-tag')).status).toBe(404)
      const again = await server.call('POST', '/api/v1/executions', {config_id: config.body.id, tag: `tag-${store}`})
      expect(again.status).toBe(409)
      const cancelDone = await server.call('POST', `/api/v1/executions/${done.id}/cancel`)
      expect(cancelDone.status).toBe(409)
    })

    it('returns the first execution again for a repeated idempotency key', async () => {
      const config = await server.call('POST', '/api/v1/configs', {name: `idem-${store}`, config_yaml: testPipelineYaml({count: 1})})
      const [a, b] = await Promise.all([
        server.call('POST', '/api/v1/executions', {config_id: config.body.id, idempotency_key: `key-${store}`}),
        server.call('POST', '/api/v1/executions', {config_id: config.body.id, idempotency_key: `key-${store}`}),
      ])
      expect([a.status, b.status].sort()).toEqual([200, 201])
      expect(a.body.id).toBe(b.body.id)
      await waitForStatus(server, a.body.id, ['completed'])
      const c = await server.call('POST', '/api/v1/executions', {config_id: config.body.id, idempotency_key: `key-${store}`})
      expect(c).toMatchObject({status: 200, body: {id: a.body.id}})
    })

    it('caps running executions (429), pauses and resumes a route, and cancels', async () => {
      const config = await server.call('POST', '/api/v1/configs', {name: `slow-${store}`, config_yaml: testPipelineYaml({count: 50, delayMs: 200})})
      const first = await server.call('POST', `/api/v1/configs/${config.body.id}/run`)
      const second = await server.call('POST', `/api/v1/configs/${config.body.id}/run`)
      expect([first.status, second.status]).toEqual([201, 201])
      const third = await server.call('POST', `/api/v1/configs/${config.body.id}/run`)
      expect(third.status).toBe(429)
      expect(third.body.error_code).toBe('EXECUTION_LIMIT_REACHED')

      const paused = await server.call('PATCH', `/api/v1/pipelines/work?execution_id=${first.body.id}`, {state: 'paused'})
      expect(paused.body).toEqual({route_id: 'work', state: 'paused', executions: [first.body.id]})
      const pipelines = await server.call('GET', `/api/v1/pipelines?execution_id=${first.body.id}`)
      expect(pipelines.body.routes.find((r: {route_id: string}) => r.route_id === 'work').state).toBe('paused')
      expect((await server.call('PATCH', '/api/v1/pipelines/nope', {state: 'paused'})).status).toBe(404)
      await server.call('PATCH', '/api/v1/pipelines/work', {state: 'running'})

      const cancelled = await server.call('POST', `/api/v1/executions/${first.body.id}/cancel`)
      expect(cancelled.body.status).toBe('cancelled')
      const patched = await server.call('PATCH', `/api/v1/executions/${second.body.id}`, {status: 'cancelled'})
      expect(patched.body.status).toBe('cancelled')
      expect((await server.call('POST', `/api/v1/executions/${first.body.id}/resume`)).status).toBe(409)
    })

    it('lists the adapter catalog and an adapter\'s config schema', async () => {
      const list = await server.call('GET', '/api/v1/adapters')
      expect(list.body.adapters.map((a: {type: string}) => a.type)).toContain('web_scraper')
      const one = await server.call('GET', '/api/v1/adapters/fan_out')
      expect(one.body.config_schema).toMatchObject({type: 'object'})
      expect((await server.call('GET', '/api/v1/adapters/nope')).status).toBe(404)
    })

    it('serves an OpenAPI 3.1 document naming every operation', async () => {
      const doc = await server.call('GET', '/openapi.json')
      expect(doc.body.openapi).toBe('3.1.0')
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([
        '/api/v1/system/health', '/api/v1/configs', '/api/v1/configs/{id}/run', '/api/v1/executions', '/api/v1/executions/{id}/events',
        '/api/v1/pipelines/{route_id}', '/api/v1/adapters/{type}',
      ]))
      expect((await server.call('GET', '/api/v1/nope')).status).toBe(404)
    })
  })
}
