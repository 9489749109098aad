import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {pipeline} from '../helpers/engine-harness.js'
import {startTestServer, type TestServer} from './server-harness.js'

/** `GET /system/health` under a probe storm: one check a second, shared by every request. */
describe('system health', () => {
  let server: TestServer
  let checks = 0
  beforeAll(async () => {
    server = await startTestServer()
    const {db} = await server.runtime.store()
    const query = db.query.bind(db)
    db.query = ((text: string, params?: unknown[]) => {
      if (text === 'SELECT 1') checks++
      return query(text, params)
    }) as typeof db.query
  }, 60_000)
  afterAll(() => server?.close())

  it('answers a burst of requests from one check, checks again after a second, and always afresh with debug', async () => {
    checks = 0
    const replies = await Promise.all(Array.from({length: 50}, () => server.call('GET', '/api/v1/system/health')))
    expect(replies.every((reply) => reply.status === 200 && reply.body.components.database !== undefined)).toBe(true)
    expect(checks).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await server.call('GET', '/api/v1/system/health')
    expect(checks).toBe(2)
    const debug = await server.call('GET', '/api/v1/system/health?debug=true')
    expect(debug.body.components.database.detail).toMatch(/pglite/)
    expect(checks).toBe(3)
  })

  it('counts running executions at the time of the request, not of the check', async () => {
    expect((await server.call('GET', '/api/v1/system/health')).body.components.orchestrator.detail).toBe('0 of 8 executions running')
    const execution = await server.runtime.executions.start({pipeline: pipeline({
      version: '1.0', routes: {a: {inbound: {queue: '/queue/a'}, adapters: [{type: 'delay', config: {ms: 1500}}]}}, init_message: {route: 'a', payload: {}},
    })})
    // Within the same second: the check is shared, the count is not.
    expect((await server.call('GET', '/api/v1/system/health')).body.components.orchestrator.detail).toBe('1 of 8 executions running')
    await execution.outcome
  })
})
