import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestServer, type TestServer} from './server-harness.js'

const SECRET = 'sk-server-only-4f9d2c7e1b'

/** A pipeline whose init payload carries `${...}` placeholders (substituted like any string of the file). */
const pipelineWith = (token: string) => `version: "1.0"
name: env-probe
error_handling: {dead_letter_queue: /queue/dlq}
routes:
  only:
    inbound: {queue: /queue/only}
    adapters:
      - type: passthrough
init_message: {route: only, payload: {token: "${token}"}}
`

/**
 * decisions.md, 2026-12-07 — "Which environment posted configs see": the server substitutes `${NAME}`
 * in posted configs only from the variables `pipelines.env` lists. Any other name is E008 whether
 * the server has it set or not, so whoever may post a config learns nothing of its environment.
 */
describe('${NAME} in configs posted to a server', () => {
  let server: TestServer
  beforeAll(async () => {
    process.env.FACTFLOW_TEST_SERVER_SECRET = SECRET
    process.env.FACTFLOW_TEST_SHARED = 'shared-value-for-pipelines'
    server = await startTestServer({pipelineEnv: ['FACTFLOW_TEST_SHARED', 'FACTFLOW_TEST_SHARED_UNSET']})
  })
  afterAll(async () => {
    delete process.env.FACTFLOW_TEST_SERVER_SECRET
    delete process.env.FACTFLOW_TEST_SHARED
    await server?.close()
  })

  it('refuses a variable pipelines.env does not list with E008 naming it, and never shows its value', async () => {
    const created = await server.call('POST', '/api/v1/configs', {name: 'leak', config_yaml: pipelineWith('${FACTFLOW_TEST_SERVER_SECRET}')})
    expect(created.status).toBe(201)
    expect(created.body.is_runnable).toBe(false)
    expect(created.body.validation_report.issues).toEqual([expect.objectContaining({
      code: 'E008', message: expect.stringContaining('FACTFLOW_TEST_SERVER_SECRET'),
    })])
    const ran = await server.call('POST', `/api/v1/configs/${created.body.id}/run`, {})
    expect(ran.body.error ?? ran.body).toMatchObject({error_code: 'CONFIG_NOT_RUNNABLE'})
    const validated = await server.call('POST', '/api/v1/configs/validate', {config_yaml: pipelineWith('${FACTFLOW_TEST_SERVER_SECRET}')})
    expect(validated.body.issues[0].code).toBe('E008')
    // An unset name that is not listed gets E008 too: the answer does not say what is set.
    const unset = await server.call('POST', '/api/v1/configs/validate', {config_yaml: pipelineWith('${FACTFLOW_NO_SUCH_VARIABLE}')})
    expect(unset.body.issues[0].code).toBe('E008')
    expect(JSON.stringify([created.body, ran.body, validated.body])).not.toContain(SECRET)
  })

  it('uses the default of a placeholder it may not read, not the server\'s value', async () => {
    const created = await server.call('POST', '/api/v1/configs', {name: 'fallback', config_yaml: pipelineWith('${FACTFLOW_TEST_SERVER_SECRET:-public-default}')})
    expect(created.body.is_runnable).toBe(true)
    const started = await server.call('POST', `/api/v1/configs/${created.body.id}/run`, {})
    expect(started.status).toBe(201)
    const execution = await server.call('GET', `/api/v1/executions/${started.body.id}`)
    expect(JSON.stringify(execution.body.config_snapshot)).toContain('public-default')
    expect(JSON.stringify(execution.body)).not.toContain(SECRET)
  })

  it('substitutes the variables pipelines.env lists, and says E006 for a listed one that is unset', async () => {
    const allowed = await server.call('POST', '/api/v1/configs/validate', {config_yaml: pipelineWith('${FACTFLOW_TEST_SHARED}')})
    expect(allowed.body).toMatchObject({is_valid: true, issues: []})
    const unset = await server.call('POST', '/api/v1/configs/validate', {config_yaml: pipelineWith('${FACTFLOW_TEST_SHARED_UNSET}')})
    expect(unset.body.issues[0].code).toBe('E006')
  })
})
