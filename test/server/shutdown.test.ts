import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestServer, testPipelineYaml, type TestServer} from './server-harness.js'

describe('a server that is shutting down', () => {
  let server: TestServer
  beforeAll(async () => { server = await startTestServer() }, 60_000)
  afterAll(() => server?.close())

  it('answers a new execution with 503 SERVER_SHUTTING_DOWN (retryable elsewhere), not a client error', async () => {
    const config = await server.call('POST', '/api/v1/configs', {name: 'late', config_yaml: testPipelineYaml({name: 'late'})})
    expect(config.status).toBe(201)
    await server.runtime.executions.shutdown()
    const started = await server.call('POST', '/api/v1/executions', {config_id: config.body.id})
    expect(started.status).toBe(503)
    expect(started.body).toMatchObject({error_code: 'SERVER_SHUTTING_DOWN'})
    expect(JSON.stringify(started.body)).not.toMatch(/\bat .*\.js:\d+/)
  })
})
